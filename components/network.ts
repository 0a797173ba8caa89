import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isNetworkAddress, parseCidr } from "../base/ipv4";
import { SWARM_PORTS } from "../config/topology";
import { planSubnets } from "./networkPlan";
import { roleTags, StackIdentity } from "../base/tags";

/** What the security groups admit: the part of the network args both network components share. */
export interface FirewallArgs {
  /** Project and stack, written into every tag (the policy pack and the chaos guard read them). */
  readonly identity: StackIdentity;
  /** Source of SSH to every machine. */
  readonly adminCidr: string;
  /** Port the WAS tasks publish on each node (host mode), reachable from the balancers only. */
  readonly wasPort: number;
  /** Allow IPsec ESP between cluster members (encrypted overlay). Default false. */
  readonly encryptOverlay?: boolean;
  /** Allow VRRP between the balancers (a keepalived pair). Default false. */
  readonly edgePair?: boolean;
}

export interface NetworkArgs extends FirewallArgs {
  /** VPC CIDR. */
  readonly vpcCidr: string;
  /** Availability zones to spread subnets over (1 to 3). */
  readonly availabilityZones: number;
}

/**
 * What the machines need from a network: where to place them and which security groups they get.
 * `Network` (a new VPC) and `ExistingNetwork` (a VPC the team already has) both provide it, so
 * SwarmCluster, NfsLogServer and EdgeTier are wired the same way whichever one a program uses.
 */
export interface ClusterNetwork {
  readonly vpcId: pulumi.Output<string>;
  /** One subnet per availability zone for swarm nodes and the NFS server, in zone order. */
  readonly clusterSubnetIds: pulumi.Input<string>[];
  /** Availability zone of each cluster subnet, same order (an EBS volume attaches only within its zone). */
  readonly clusterSubnetZones: pulumi.Input<string>[];
  /** Public subnets for the balancers, in zone order. */
  readonly edgeSubnetIds: pulumi.Input<string>[];
  /** CIDRs of the cluster subnets: the only clients the NFS export admits. */
  readonly clusterCidrs: readonly string[];
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly nfsSecurityGroupId: pulumi.Output<string>;
  readonly edgeSecurityGroupId: pulumi.Output<string>;
  /**
   * The internet route and its subnet associations. Instances and Elastic IPs depend on these: an
   * instance that boots before its subnet routes to the gateway cannot fetch packages, and AWS
   * refuses an EIP in a VPC without an attached gateway. Empty for a VPC that already routes.
   */
  readonly internetAccess: pulumi.Resource[];
}

// Swarm control/data plane ports, open only between members of the cluster security group; the
// config check refuses a wasPort among them (one list: config/topology.ts).
export { SWARM_PORTS } from "../config/topology";

/**
 * VPC, public subnets per AZ for the cluster and the balancers, and the three security groups:
 * cluster (swarm ports among members, WAS port from the balancers), nfs (2049 from the cluster),
 * edge (80 from anywhere). SSH to all of them only from the admin CIDR.
 */
export class Network extends pulumi.ComponentResource implements ClusterNetwork {
  readonly vpcId: pulumi.Output<string>;
  readonly clusterSubnetIds: pulumi.Output<string>[];
  readonly clusterSubnetZones: pulumi.Output<string>[];
  readonly edgeSubnetIds: pulumi.Output<string>[];
  readonly clusterCidrs: readonly string[];
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly nfsSecurityGroupId: pulumi.Output<string>;
  readonly edgeSecurityGroupId: pulumi.Output<string>;
  readonly internetAccess: pulumi.Resource[];

  /** The security groups only, in a VPC and subnets that already exist (see ExistingNetwork). */
  static existing(
    name: string,
    args: ExistingNetworkArgs,
    opts?: pulumi.ComponentResourceOptions,
  ): ExistingNetwork {
    return new ExistingNetwork(name, args, opts);
  }

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:network:Network", name, {}, opts);
    const parent = { parent: this };
    const tags = (suffix: string) => roleTags(args.identity, "network", `${name}-${suffix}`);
    const plan = planSubnets(args.vpcCidr, args.availabilityZones);

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.vpcCidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tags("vpc"),
      },
      parent,
    );
    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: vpc.id, tags: tags("igw") },
      parent,
    );
    const routes = new aws.ec2.RouteTable(
      `${name}-public`,
      {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: tags("public"),
      },
      parent,
    );

    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, parent);
    const associations: pulumi.Resource[] = [];
    const zones: Record<"cluster" | "edge", pulumi.Output<string>[]> = { cluster: [], edge: [] };
    const subnets = (tier: "cluster" | "edge", cidrs: readonly string[]) =>
      cidrs.map((cidrBlock, i) => {
        const subnet = new aws.ec2.Subnet(
          `${name}-${tier}-${i}`,
          {
            vpcId: vpc.id,
            cidrBlock,
            availabilityZone: azs.names[i],
            // Public addresses let `pulumi up` reach nodes over SSH and nodes reach package mirrors;
            // security groups admit nothing from outside but SSH from adminCidr (and 80/443 on edge).
            mapPublicIpOnLaunch: true,
            tags: tags(`${tier}-${i}`),
          },
          parent,
        );
        associations.push(
          new aws.ec2.RouteTableAssociation(
            `${name}-${tier}-${i}`,
            { subnetId: subnet.id, routeTableId: routes.id },
            parent,
          ),
        );
        zones[tier].push(subnet.availabilityZone);
        return subnet.id;
      });
    this.clusterSubnetIds = subnets("cluster", plan.cluster);
    this.edgeSubnetIds = subnets("edge", plan.edge);
    this.clusterSubnetZones = zones.cluster;
    this.clusterCidrs = plan.cluster;

    const groups = createSecurityGroups(name, vpc.id, args, parent);

    this.vpcId = vpc.id;
    this.internetAccess = [igw, routes, ...associations];
    this.clusterSecurityGroupId = groups.cluster.id;
    this.nfsSecurityGroupId = groups.nfs.id;
    this.edgeSecurityGroupId = groups.edge.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      clusterSubnetIds: this.clusterSubnetIds,
      edgeSubnetIds: this.edgeSubnetIds,
      clusterCidrs: this.clusterCidrs,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      nfsSecurityGroupId: this.nfsSecurityGroupId,
      edgeSecurityGroupId: this.edgeSecurityGroupId,
    });
  }
}

type Parent = { readonly parent: pulumi.Resource };

/**
 * The three security groups inside `vpcId` and their rules: swarm ports among cluster members, the
 * WAS port from the balancers, NFS from the cluster, HTTP to the balancers from anywhere, SSH from
 * the admin CIDR, egress to anywhere.
 */
function createSecurityGroups(
  name: string,
  vpcId: pulumi.Input<string>,
  args: FirewallArgs,
  parent: Parent,
) {
  const group = (role: "cluster" | "nfs" | "edge", description: string) =>
    new aws.ec2.SecurityGroup(
      `${name}-${role}`,
      {
        vpcId,
        description,
        tags: roleTags(args.identity, role === "cluster" ? "swarm" : role, `${name}-${role}`),
      },
      parent,
    );
  const cluster = group("cluster", "swarm-ha swarm nodes");
  const nfs = group("nfs", "swarm-ha NFS log server");
  const edge = group("edge", "swarm-ha nginx balancers");

  const rule = (
    id: string,
    sg: aws.ec2.SecurityGroup,
    r: {
      from?: number;
      to?: number;
      protocol: string;
      cidr?: string;
      sourceSg?: pulumi.Input<string>;
      description: string;
    },
  ) =>
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-${id}`,
      {
        securityGroupId: sg.id,
        ipProtocol: r.protocol,
        fromPort: r.from,
        toPort: r.to ?? r.from,
        cidrIpv4: r.cidr,
        referencedSecurityGroupId: r.sourceSg,
        description: r.description,
        tags: sg.tags.apply((t) => t ?? {}),
      },
      parent,
    );

  for (const p of SWARM_PORTS) {
    rule(`cluster-${p.port}-${p.protocol}`, cluster, {
      from: p.port,
      protocol: p.protocol,
      sourceSg: cluster.id,
      description: p.why,
    });
  }
  if (args.encryptOverlay) {
    rule("cluster-esp", cluster, {
      protocol: "50",
      sourceSg: cluster.id,
      description: "IPsec ESP of the encrypted overlay",
    });
  }
  rule("cluster-was", cluster, {
    from: args.wasPort,
    protocol: "tcp",
    sourceSg: edge.id,
    description: "WAS tasks from the balancers",
  });
  rule("nfs-2049", nfs, {
    from: 2049,
    protocol: "tcp",
    sourceSg: cluster.id,
    description: "NFSv4 from swarm nodes",
  });
  // HTTP only: nginx has no TLS listener (renderers/nginxConf.ts), so 443 stays closed.
  for (const port of [80]) {
    rule(`edge-${port}`, edge, {
      from: port,
      protocol: "tcp",
      cidr: "0.0.0.0/0",
      description: "public HTTP(S)",
    });
  }
  if (args.edgePair) {
    rule("edge-vrrp", edge, {
      protocol: "112",
      sourceSg: edge.id,
      description: "VRRP between the balancer pair",
    });
    // `pulumi up` reaches each balancer of a pair through the Elastic IP's holder (components/edge.ts).
    rule("edge-ssh-pair", edge, {
      from: 22,
      protocol: "tcp",
      sourceSg: edge.id,
      description: "SSH between the balancer pair (config pushes)",
    });
  }
  for (const [id, sg] of [
    ["cluster", cluster],
    ["nfs", nfs],
    ["edge", edge],
  ] as const) {
    rule(`${id}-ssh`, sg, {
      from: 22,
      protocol: "tcp",
      cidr: args.adminCidr,
      description: "SSH from the admin CIDR",
    });
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-${id}-egress`,
      {
        securityGroupId: sg.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "packages, image pulls, AWS APIs",
        tags: sg.tags.apply((t) => t ?? {}),
      },
      parent,
    );
  }

  return { cluster, nfs, edge };
}

export interface ExistingNetworkArgs extends FirewallArgs {
  /** The VPC to deploy into (`vpc-…`). Its subnets must already route to an internet gateway. */
  readonly vpcId: string;
  /** Availability zones the subnets are in, in order (1 to 3): one cluster subnet per zone. */
  readonly availabilityZones: readonly string[];
  /** One subnet per availability zone for swarm nodes and the NFS server (`subnet-…`), in zone order. */
  readonly clusterSubnetIds: readonly string[];
  /**
   * The IPv4 CIDR of each cluster subnet, in the same order: the NFS export admits these and
   * nothing else (the export list is written into the server's user data).
   */
  readonly clusterSubnetCidrs: readonly string[];
  /**
   * Public subnets for the balancers (`subnet-…`), one per availability zone, in zone order: a
   * balancer needs a public IP and a route to an internet gateway. Default: the cluster subnets.
   */
  readonly edgeSubnetIds?: readonly string[];
}

const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

function refuse(field: string, problem: string, fix: string): never {
  throw new pulumi.RunError(`existing network "${field}": ${problem}; ${fix}`);
}

function checkSubnetIds(field: string, ids: readonly string[], zones: number): void {
  if (ids.length === 0)
    refuse(field, "no subnets given", `give one subnet id per availability zone (${zones})`);
  if (ids.length !== zones) {
    refuse(
      field,
      `${ids.length} subnet(s) for ${zones} availability zone(s)`,
      "give exactly one subnet id per zone, in zone order",
    );
  }
  const bad = ids.find((id) => !SUBNET_ID.test(id));
  if (bad !== undefined)
    refuse(
      field,
      `${JSON.stringify(bad)} is not a subnet id`,
      "use ids like subnet-0123456789abcdef0",
    );
  if (new Set(ids).size !== ids.length)
    refuse(field, "a subnet is listed twice", "give a different subnet per zone");
}

/**
 * Refuses arguments that cannot describe a VPC's subnets, before anything is created, with one
 * RunError naming the field and the fix. Whether the ids exist and belong to the VPC is AWS's to
 * say: an instance whose subnet is in another VPC than its security groups is refused at launch.
 */
export function checkExistingNetworkArgs(args: ExistingNetworkArgs): void {
  if (typeof args.vpcId !== "string" || !VPC_ID.test(args.vpcId)) {
    refuse(
      "vpcId",
      `${JSON.stringify(args.vpcId)} is not a VPC id`,
      "use the id of your VPC, like vpc-0123456789abcdef0",
    );
  }
  const zones = Array.isArray(args.availabilityZones) ? args.availabilityZones.length : 0;
  if (zones < 1 || zones > 3) {
    refuse(
      "availabilityZones",
      `${zones} zone(s) given`,
      'name 1 to 3 availability zones, e.g. ["eu-west-1a", "eu-west-1b"]',
    );
  }
  if (new Set(args.availabilityZones).size !== zones)
    refuse("availabilityZones", "a zone is listed twice", "name each zone once");
  checkSubnetIds("clusterSubnetIds", args.clusterSubnetIds ?? [], zones);
  if (args.edgeSubnetIds !== undefined) checkSubnetIds("edgeSubnetIds", args.edgeSubnetIds, zones);
  const cidrs = args.clusterSubnetCidrs ?? [];
  if (cidrs.length !== zones) {
    refuse(
      "clusterSubnetCidrs",
      `${cidrs.length} CIDR(s) for ${zones} cluster subnet(s)`,
      "give the CIDR of each cluster subnet, in the same order",
    );
  }
  for (const c of cidrs) {
    const parsed = parseCidr(c);
    if (!parsed || !isNetworkAddress(parsed)) {
      refuse(
        "clusterSubnetCidrs",
        `${JSON.stringify(c)} is not an IPv4 network CIDR`,
        "copy the subnet's CIDR block, e.g. 10.0.1.0/24",
      );
    }
  }
}

/**
 * The security groups of the tier inside a VPC and subnets a team already has: no VPC, subnet,
 * gateway or route is created or changed. The subnets must give instances a public IP and route
 * to an internet gateway (the same as `Network` builds): `pulumi up` reaches the nodes over SSH.
 */
export class ExistingNetwork extends pulumi.ComponentResource implements ClusterNetwork {
  readonly vpcId: pulumi.Output<string>;
  readonly clusterSubnetIds: pulumi.Input<string>[];
  readonly clusterSubnetZones: pulumi.Input<string>[];
  readonly edgeSubnetIds: pulumi.Input<string>[];
  readonly clusterCidrs: readonly string[];
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly nfsSecurityGroupId: pulumi.Output<string>;
  readonly edgeSecurityGroupId: pulumi.Output<string>;
  readonly internetAccess: pulumi.Resource[] = [];

  constructor(name: string, args: ExistingNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    checkExistingNetworkArgs(args);
    super("swarm-ha:network:ExistingNetwork", name, {}, opts);
    const groups = createSecurityGroups(name, args.vpcId, args, { parent: this });
    this.vpcId = pulumi.output(args.vpcId);
    this.clusterSubnetIds = [...args.clusterSubnetIds];
    // The subnets are given in zone order (checkExistingNetworkArgs holds the counts equal).
    this.clusterSubnetZones = [...args.availabilityZones];
    this.edgeSubnetIds = [...(args.edgeSubnetIds ?? args.clusterSubnetIds)];
    this.clusterCidrs = [...args.clusterSubnetCidrs];
    this.clusterSecurityGroupId = groups.cluster.id;
    this.nfsSecurityGroupId = groups.nfs.id;
    this.edgeSecurityGroupId = groups.edge.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      clusterSubnetIds: this.clusterSubnetIds,
      clusterSubnetZones: this.clusterSubnetZones,
      edgeSubnetIds: this.edgeSubnetIds,
      clusterCidrs: this.clusterCidrs,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      nfsSecurityGroupId: this.nfsSecurityGroupId,
      edgeSecurityGroupId: this.edgeSecurityGroupId,
    });
  }
}
