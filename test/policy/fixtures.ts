/**
 * Happy-path resources shaped like the ones the program registers; each test changes one property.
 * Built fresh per call so a mutation in one case never leaks into another.
 */
export const tags = (role: string): Record<string, string> => ({
  Name: `dev-${role}`,
  "swarm-ha:project": "swarm-ha",
  "swarm-ha:stack": "dev",
  "swarm-ha:role": role,
});

export function instance(): Record<string, any> {
  return {
    ami: "ami-0123456789abcdef0",
    instanceType: "t3.small",
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    },
    maintenanceOptions: { autoRecovery: "default" },
    rootBlockDevice: { encrypted: true, volumeSize: 20, volumeType: "gp3" },
    ebsBlockDevices: [
      { deviceName: "/dev/sdf", encrypted: true, volumeSize: 10 },
      { deviceName: "/dev/sdg", encrypted: true, volumeSize: 10 },
    ],
    subnetId: "subnet-1",
    vpcSecurityGroupIds: ["sg-cluster"],
    tags: tags("worker"),
  };
}

export function launchTemplate(): Record<string, any> {
  return {
    imageId: "ami-0123456789abcdef0",
    instanceType: "m6i.large",
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    maintenanceOptions: { autoRecovery: "default" },
    blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true", volumeSize: 20 } }],
    tags: tags("worker"),
  };
}

export function volume(): Record<string, any> {
  return { availabilityZone: "eu-west-1a", size: 10, encrypted: true, tags: tags("nfs") };
}

/** A cluster SG with its swarm ports open to itself, declared inline. */
export function clusterSecurityGroup(): Record<string, any> {
  return {
    description: "swarm nodes",
    vpcId: "vpc-1",
    ingress: [
      { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["192.0.2.10/32"] },
      { protocol: "tcp", fromPort: 2377, toPort: 2377, self: true },
      { protocol: "udp", fromPort: 4789, toPort: 4789, self: true },
      { protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-edge"] },
    ],
    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
    tags: tags("swarm"),
  };
}

/** The nginx SG: the one public group, 80 from anywhere (no TLS listener, so no 443), SSH from the admin. */
export function edgeSecurityGroup(): Record<string, any> {
  return {
    description: "nginx balancers",
    vpcId: "vpc-1",
    ingress: [
      {
        protocol: "tcp",
        fromPort: 80,
        toPort: 80,
        cidrBlocks: ["0.0.0.0/0"],
        ipv6CidrBlocks: ["::/0"],
      },
      { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["192.0.2.10/32"] },
    ],
    tags: tags("edge"),
  };
}

/** aws.vpc.SecurityGroupIngressRule: swarm management from the cluster's own SG. */
export function clusterIngressRule(): Record<string, any> {
  return {
    securityGroupId: "sg-cluster",
    referencedSecurityGroupId: "sg-cluster",
    ipProtocol: "tcp",
    fromPort: 2377,
    toPort: 2377,
    description: "swarm management",
    tags: tags("swarm"),
  };
}

/** aws.vpc.SecurityGroupIngressRule: public HTTP on the edge. */
export function edgeIngressRule(): Record<string, any> {
  return {
    securityGroupId: "sg-edge",
    cidrIpv4: "0.0.0.0/0",
    ipProtocol: "tcp",
    fromPort: 80,
    toPort: 80,
    tags: tags("edge"),
  };
}

/** aws.ec2.SecurityGroupRule: NFS from the cluster SG. */
export function nfsSecurityGroupRule(): Record<string, any> {
  return {
    type: "ingress",
    securityGroupId: "sg-nfs",
    sourceSecurityGroupId: "sg-cluster",
    protocol: "tcp",
    fromPort: 2049,
    toPort: 2049,
  };
}

/** The WAS docker.Service as the program declares it. */
export function wasService(): Record<string, any> {
  return {
    name: "was",
    mode: { replicated: { replicas: 3 } },
    taskSpec: {
      containerSpec: {
        image: "node:22-alpine",
        healthcheck: {
          tests: ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"],
          interval: "2s",
          timeout: "2s",
          retries: 2,
        },
      },
      restartPolicy: { condition: "any", delay: "1s" },
    },
    updateConfig: { parallelism: 1, failureAction: "rollback", order: "stop-first" },
    rollbackConfig: { parallelism: 1, failureAction: "pause" },
  };
}

/** aws.efs.FileSystem: the log store, encrypted. */
export function efsFileSystem(): Record<string, any> {
  return { encrypted: true, tags: tags("nfs") };
}

/**
 * A whole EFS log store as a stack policy sees it: a manager and two workers in subnet-1/subnet-2
 * with the cluster group, a mount target in each of those subnets behind sg-efs, and one rule
 * admitting TCP 2049 to sg-efs from sg-cluster. Resources by name, so a test changes one of them.
 */
export function efsStack(): Array<{ type: string; name: string; props: Record<string, any> }> {
  const node = (role: string, subnetId: string) => ({ ...instance(), subnetId, tags: tags(role) });
  return [
    { type: TYPES.instance, name: "swarm-manager-0", props: node("manager", "subnet-1") },
    { type: TYPES.instance, name: "swarm-worker-0", props: node("worker", "subnet-2") },
    { type: TYPES.instance, name: "swarm-worker-1", props: node("worker", "subnet-1") },
    {
      type: TYPES.instance,
      name: "edge-0",
      props: {
        ...instance(),
        subnetId: "subnet-edge",
        vpcSecurityGroupIds: ["sg-edge"],
        tags: tags("edge"),
      },
    },
    { type: TYPES.efsFileSystem, name: "logs-fs", props: efsFileSystem() },
    {
      type: TYPES.securityGroup,
      name: "logs-efs",
      props: { vpcId: "vpc-1", description: "efs", tags: tags("nfs") },
    },
    {
      type: TYPES.vpcIngressRule,
      name: "logs-efs-2049",
      props: {
        securityGroupId: "sg-efs",
        referencedSecurityGroupId: "sg-cluster",
        ipProtocol: "tcp",
        fromPort: 2049,
        toPort: 2049,
        tags: tags("nfs"),
      },
    },
    {
      type: TYPES.mountTarget,
      name: "logs-mt-0",
      props: { fileSystemId: "fs-1", subnetId: "subnet-1", securityGroups: ["sg-efs"] },
    },
    {
      type: TYPES.mountTarget,
      name: "logs-mt-1",
      props: { fileSystemId: "fs-1", subnetId: "subnet-2", securityGroups: ["sg-efs"] },
    },
  ];
}

export const TYPES = {
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  volume: "aws:ebs/volume:Volume",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  vpcIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  subnet: "aws:ec2/subnet:Subnet",
  routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  service: "docker:index/service:Service",
  efsFileSystem: "aws:efs/fileSystem:FileSystem",
  mountTarget: "aws:efs/mountTarget:MountTarget",
} as const;
