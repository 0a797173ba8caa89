import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderEdgeUserData } from "../renderers/cloudInit";
import { renderEdgePairUserData, renderNotifyScript } from "../renderers/keepalived";
import { BalancerHost, configureEdge } from "./edgeConfig";
import { createMachine } from "./machine";
import { SshAccess } from "./ssh";
import { roleTags, StackIdentity } from "../base/tags";

export interface EdgeTierArgs {
  /** Project and stack, written into every tag (the policy pack and the chaos guard read them). */
  readonly identity: StackIdentity;
  /** Ubuntu 24.04 or 26.04 AMI the scripts are written for: `ubuntuAmi({}, release)`. */
  readonly ami: pulumi.Input<string>;
  /** EC2 instance type (the policy pack allows t3, t3a, m6i, m7i, c6i, c7i by default). */
  readonly instanceType: string;
  /** Balancers: 1, or 2 for a primary/standby pair (keepalived, Elastic IP moved on takeover). */
  readonly nodes: 1 | 2;
  /** Subnets to place balancers in, one per node (two AZs for a pair). */
  readonly subnetIds: pulumi.Input<string>[];
  /** Security groups of the instances (a ClusterNetwork's group for this role). */
  readonly securityGroupIds: pulumi.Input<string>[];
  /** The key pair the instances start with and the login `pulumi up` configures them over. */
  readonly ssh: SshAccess;
  /** Private addresses of every node that may run a WAS task. */
  readonly upstreamHosts: pulumi.Input<pulumi.Input<string>[]>;
  /** Port the WAS tasks publish on each node. */
  readonly upstreamPort: number;
  /** Resources to wait for before pushing the config (e.g. the WAS service). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Interface VRRP adverts leave from on a pair. Default ens5: Ubuntu's name for the ENA interface
   * of Nitro instances (every current type). `keepalived -t` on the instance rejects a wrong name,
   * so a mismatch stops `pulumi up` at the config push, before keepalived is (re)started.
   */
  readonly pairInterface?: string;
}

/**
 * The IAM policy of a balancer pair: each balancer may move exactly one Elastic IP, and only onto
 * the pair's own instances. AssociateAddress is authorised against the address and against the
 * instance named in the request (the network interface only when one is named, which the notify
 * script never does), so both are scoped. DescribeAddresses supports no resource-level permissions
 * (EC2 Describe* actions accept only "*"); it reveals addresses, not control over them.
 */
export function eipTakeoverPolicy(eipArn: string, instanceArns: readonly string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "MoveThePairEip",
        Effect: "Allow",
        Action: "ec2:AssociateAddress",
        Resource: [eipArn, ...instanceArns],
      },
      {
        Sid: "SeeWhoHoldsIt",
        Effect: "Allow",
        Action: "ec2:DescribeAddresses",
        Resource: "*",
      },
    ],
  });
}

/**
 * The nginx balancer tier. nginx.conf is rendered from the current node set and pushed over SSH,
 * validated with `nginx -t`, then reloaded; the step re-runs whenever the rendered text changes
 * (a node added, replaced or removed), without replacing the balancer.
 *
 * With `nodes: 2` the balancers are a keepalived pair in two AZs behind one Elastic IP. An Elastic
 * IP rather than a network load balancer: no extra hop or per-hour and per-LCU charge, the client
 * keeps talking to nginx directly (source addresses intact), and the VRRPv3 takeover was measured in
 * the lab at 0.86-0.92 s after a killed holder's last advert (see README "Balancer pair"). The
 * trade-off: EC2 then re-points the address after associate-address, in a time AWS does not document
 * and this project has not measured, so a takeover on AWS costs that time on top, where an NLB would
 * mark a target unhealthy after its health-check interval.
 *
 * Only HTTP (port 80) is served: no TLS listener is configured, so 443 is not opened either.
 */
export class EdgeTier extends pulumi.ComponentResource {
  /** Public entry point (an Elastic IP). */
  readonly publicIp: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly instanceIds: pulumi.Output<string>[];
  /** The nginx.conf every balancer runs. */
  readonly nginxConf: pulumi.Output<string>;
  /** Allocation id of the Elastic IP (what a pair's notify script moves). */
  readonly eipAllocationId: pulumi.Output<string>;
  /**
   * Instance the Elastic IP was on at the last update or refresh. On a pair keepalived moves it
   * afterwards: `pulumi refresh` (or describe-addresses) tells where it is now.
   */
  readonly activeInstanceId: pulumi.Output<string>;
  /** keepalived.conf per balancer of a pair, in node order; empty for a single balancer. */
  readonly keepalivedConfs: pulumi.Output<string>[];
  /** Role of a pair's balancers (may move only the pair's Elastic IP); undefined for one balancer. */
  readonly instanceRoleArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: EdgeTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:edge:EdgeTier", name, {}, opts);
    checkEdgeArgs(args, this);
    const parent = { parent: this };
    const pair = args.nodes === 2;
    const access = pair ? createPairRole(name, args, parent) : undefined;
    const instances = [...Array(args.nodes).keys()].map((i) =>
      createBalancer(name, i, args, access?.profile, parent),
    );
    const eip = createEip(name, args, instances[0], pair, parent);
    const policy = access ? createEipPolicy(name, instances, eip, access.role, parent) : undefined;
    // The pushes run on the balancers as on any hosts (components/edgeConfig.ts), under this component
    // with the names they always had; balancerHosts says how they are reached (by stable addresses).
    const steps = configureEdge(
      name,
      {
        balancers: instances.map((instance) => balancerHost(instance, eip, pair)),
        ssh: pair ? { ...args.ssh, proxy: eip.publicIp } : args.ssh,
        upstreamHosts: args.upstreamHosts,
        upstreamPort: args.upstreamPort,
        pair: policy
          ? {
              interface: args.pairInterface ?? "ens5",
              floating: { kind: "eip" },
              notifyScript: eip.allocationId.apply((allocationId) =>
                renderNotifyScript({ eip: { allocationId } }),
              ),
              dependsOn: [policy],
            }
          : undefined,
        dependsOn: args.dependsOn,
      },
      parent,
    );
    this.nginxConf = steps.nginxConf;
    this.keepalivedConfs = steps.keepalivedConfs;

    this.publicIp = eip.publicIp;
    this.url = pulumi.interpolate`http://${eip.publicIp}/`;
    this.instanceIds = instances.map((i) => i.id);
    this.eipAllocationId = eip.allocationId;
    this.activeInstanceId = eip.instance;
    this.instanceRoleArn = access?.role.arn;
    this.registerOutputs({
      publicIp: this.publicIp,
      url: this.url,
      instanceIds: this.instanceIds,
      nginxConf: this.nginxConf,
      eipAllocationId: this.eipAllocationId,
      activeInstanceId: this.activeInstanceId,
      keepalivedConfs: this.keepalivedConfs,
      instanceRoleArn: this.instanceRoleArn,
    });
  }
}

type Parent = { readonly parent: pulumi.Resource };

function checkEdgeArgs(args: EdgeTierArgs, self: pulumi.Resource): void {
  if (args.nodes !== 1 && args.nodes !== 2) {
    throw new pulumi.ResourceError(
      `edge nodes must be 1 or 2 (got ${args.nodes}); set edgeNodes to 1 or 2`,
      self,
      true,
    );
  }
  if (args.nodes === 2 && args.subnetIds.length < 2) {
    throw new pulumi.ResourceError(
      "a balancer pair needs two subnets in two availability zones: set availabilityZones to 2 or more",
      self,
      true,
    );
  }
}

function edgeTags(args: EdgeTierArgs, name: string): Record<string, string> {
  return roleTags(args.identity, "edge", name);
}

/**
 * The pair's instance role and profile. The role exists before the instances (the profile is fixed
 * at launch); its policy names the instances and the address, so it is attached once they exist.
 * An IAM role's and an instance profile's id is their name, which is what the profile and the
 * instance take; the id also carries the dependency (an auto-named `name` is provider-computed).
 */
function createPairRole(name: string, args: EdgeTierArgs, parent: Parent) {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      description: "swarm-ha balancer pair: moves the pair's Elastic IP to the VRRP master",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ec2.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
      tags: edgeTags(args, `${name}-role`),
    },
    parent,
  );
  const profile = new aws.iam.InstanceProfile(
    `${name}-profile`,
    { role: role.id, tags: edgeTags(args, `${name}-profile`) },
    parent,
  );
  return { role, profile };
}

function createBalancer(
  name: string,
  i: number,
  args: EdgeTierArgs,
  profile: aws.iam.InstanceProfile | undefined,
  parent: Parent,
): aws.ec2.Instance {
  const hostname = `${name}-${i}`;
  return createMachine(
    {
      identity: args.identity,
      role: "edge",
      name: hostname,
      ami: args.ami,
      instanceType: args.instanceType,
      subnetId: args.subnetIds[i % args.subnetIds.length],
      securityGroupIds: args.securityGroupIds,
      keyName: args.ssh.keyName,
      userData: profile ? renderEdgePairUserData({ hostname }) : renderEdgeUserData({ hostname }),
      iamInstanceProfile: profile?.id,
    },
    parent,
  );
}

// Balancers and the EIP wait for the internet route: index.ts adds Network.internetAccess to the
// dependsOn of every instance and EIP (one transformation), so no component can forget it.
function createEip(
  name: string,
  args: EdgeTierArgs,
  first: aws.ec2.Instance,
  pair: boolean,
  parent: Parent,
): aws.ec2.Eip {
  return new aws.ec2.Eip(
    `${name}-eip`,
    {
      domain: "vpc",
      instance: first.id,
      tags: edgeTags(args, `${name}-eip`),
    },
    {
      ...parent,
      // On a pair Pulumi only places the address at creation: afterwards keepalived's notify script
      // owns the association, and a refresh followed by an update must not move it back to node 0.
      ...(pair
        ? { ignoreChanges: ["instance", "networkInterface", "associateWithPrivateIp"] }
        : {}),
    },
  );
}

/**
 * How the pushes reach a balancer, from addresses that never change under a deployed stack: the
 * Elastic IP, and on a pair each balancer's private address through the Elastic IP's current holder.
 * A balancer's own public IP is no key: associating the EIP releases it and moving the EIP away
 * gives the instance a new one (EC2 User Guide, "Public IPv4 addresses"), so after a keepalived
 * takeover the two balancers' public addresses swap, and a connection input that followed them
 * would re-run every push on the next `pulumi up` (a changed input re-runs a command). The EIP is
 * always on a live member of the pair, which reaches the other over the VPC (the edge group admits
 * SSH from itself on a pair: components/network.ts). Both hops dial with the SSH_DIAL budget: the
 * first push dials seconds after launch, before sshd answers.
 */
function balancerHost(instance: aws.ec2.Instance, eip: aws.ec2.Eip, pair: boolean): BalancerHost {
  return {
    address: pair ? instance.privateIp : eip.publicIp,
    privateAddress: instance.privateIp,
    machineId: instance.id,
    dependsOn: [instance, eip],
  };
}

/** The pair's EIP policy: each balancer may move exactly the pair's Elastic IP onto the pair. */
function createEipPolicy(
  name: string,
  instances: readonly aws.ec2.Instance[],
  eip: aws.ec2.Eip,
  role: aws.iam.Role,
  parent: Parent,
): aws.iam.RolePolicy {
  const partition = aws.getPartitionOutput({}, parent).partition;
  const region = aws.getRegionOutput({}, parent).region;
  const account = aws.getCallerIdentityOutput({}, parent).accountId;
  const eipArn = pulumi.interpolate`arn:${partition}:ec2:${region}:${account}:elastic-ip/${eip.allocationId}`;
  return new aws.iam.RolePolicy(
    `${name}-eip-policy`,
    {
      role: role.id,
      policy: pulumi
        .all([eipArn, ...instances.map((i) => i.arn)])
        .apply(([e, ...arns]) => eipTakeoverPolicy(e, arns)),
    },
    parent,
  );
}
