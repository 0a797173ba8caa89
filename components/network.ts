import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SWARM_PORTS } from "../stacks/topology";
import { planSubnets } from "./networkPlan";
import { roleTags, StackIdentity } from "../base/tags";

export interface NetworkArgs {
  readonly identity: StackIdentity;
  /** VPC CIDR. */
  readonly vpcCidr: string;
  /** Availability zones to spread subnets over (1 to 3). */
  readonly availabilityZones: number;
  /** Source of SSH to every machine. */
  readonly adminCidr: string;
  /** Port the WAS tasks publish on each node (host mode), reachable from the balancers only. */
  readonly wasPort: number;
  /** Allow IPsec ESP between cluster members (encrypted overlay). Default false. */
  readonly encryptOverlay?: boolean;
  /** Allow VRRP between the balancers (a keepalived pair). Default false. */
  readonly edgePair?: boolean;
}

// Swarm control/data plane ports, open only between members of the cluster security group; the
// config check refuses a wasPort among them (one list: stacks/topology.ts).
export { SWARM_PORTS } from "../stacks/topology";

/**
 * VPC, public subnets per AZ for the cluster and the balancers, and the three security groups:
 * cluster (swarm ports among members, WAS port from the balancers), nfs (2049 from the cluster),
 * edge (80/443 from anywhere). SSH to all of them only from the admin CIDR.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly clusterSubnetIds: pulumi.Output<string>[];
  /** Availability zone of each cluster subnet, same order (an EBS volume attaches only within its zone). */
  readonly clusterSubnetZones: pulumi.Output<string>[];
  readonly edgeSubnetIds: pulumi.Output<string>[];
  readonly clusterCidrs: readonly string[];
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly nfsSecurityGroupId: pulumi.Output<string>;
  readonly edgeSecurityGroupId: pulumi.Output<string>;
  /**
   * The internet route and its subnet associations. Instances and Elastic IPs depend on these: an
   * instance that boots before its subnet routes to the gateway cannot fetch packages, and AWS
   * refuses an EIP in a VPC without an attached gateway.
   */
  readonly internetAccess: pulumi.Resource[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:network:Network", name, {}, opts);
    const parent = { parent: this };
    const tags = (suffix: string) => roleTags(args.identity, "network", `${name}-${suffix}`);
    const plan = planSubnets(args.vpcCidr, args.availabilityZones);

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: args.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: tags("vpc"),
    }, parent);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, parent);
    const routes = new aws.ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
      tags: tags("public"),
    }, parent);

    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, parent);
    const associations: pulumi.Resource[] = [];
    const zones: Record<"cluster" | "edge", pulumi.Output<string>[]> = { cluster: [], edge: [] };
    const subnets = (tier: "cluster" | "edge", cidrs: readonly string[]) =>
      cidrs.map((cidrBlock, i) => {
        const subnet = new aws.ec2.Subnet(`${name}-${tier}-${i}`, {
          vpcId: vpc.id,
          cidrBlock,
          availabilityZone: azs.names[i],
          // Public addresses let `pulumi up` reach nodes over SSH and nodes reach package mirrors;
          // security groups admit nothing from outside but SSH from adminCidr (and 80/443 on edge).
          mapPublicIpOnLaunch: true,
          tags: tags(`${tier}-${i}`),
        }, parent);
        associations.push(
          new aws.ec2.RouteTableAssociation(`${name}-${tier}-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, parent),
        );
        zones[tier].push(subnet.availabilityZone);
        return subnet.id;
      });
    this.clusterSubnetIds = subnets("cluster", plan.cluster);
    this.edgeSubnetIds = subnets("edge", plan.edge);
    this.clusterSubnetZones = zones.cluster;
    this.clusterCidrs = plan.cluster;

    const group = (role: "cluster" | "nfs" | "edge", description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${role}`, {
        vpcId: vpc.id,
        description,
        tags: roleTags(args.identity, role === "cluster" ? "swarm" : role, `${name}-${role}`),
      }, parent);
    const cluster = group("cluster", "swarm-ha swarm nodes");
    const nfs = group("nfs", "swarm-ha NFS log server");
    const edge = group("edge", "swarm-ha nginx balancers");

    const rule = (
      id: string,
      sg: aws.ec2.SecurityGroup,
      r: { from?: number; to?: number; protocol: string; cidr?: string; sourceSg?: pulumi.Input<string>; description: string },
    ) =>
      new aws.vpc.SecurityGroupIngressRule(`${name}-${id}`, {
        securityGroupId: sg.id,
        ipProtocol: r.protocol,
        fromPort: r.from,
        toPort: r.to ?? r.from,
        cidrIpv4: r.cidr,
        referencedSecurityGroupId: r.sourceSg,
        description: r.description,
        tags: sg.tags.apply((t) => t ?? {}),
      }, parent);

    for (const p of SWARM_PORTS) {
      rule(`cluster-${p.port}-${p.protocol}`, cluster, {
        from: p.port, protocol: p.protocol, sourceSg: cluster.id, description: p.why,
      });
    }
    if (args.encryptOverlay) {
      rule("cluster-esp", cluster, { protocol: "50", sourceSg: cluster.id, description: "IPsec ESP of the encrypted overlay" });
    }
    rule("cluster-was", cluster, { from: args.wasPort, protocol: "tcp", sourceSg: edge.id, description: "WAS tasks from the balancers" });
    rule("nfs-2049", nfs, { from: 2049, protocol: "tcp", sourceSg: cluster.id, description: "NFSv4 from swarm nodes" });
    // HTTP only: nginx has no TLS listener (renderers/nginxConf.ts), so 443 stays closed.
    for (const port of [80]) {
      rule(`edge-${port}`, edge, { from: port, protocol: "tcp", cidr: "0.0.0.0/0", description: "public HTTP(S)" });
    }
    if (args.edgePair) {
      rule("edge-vrrp", edge, { protocol: "112", sourceSg: edge.id, description: "VRRP between the balancer pair" });
    }
    for (const [id, sg] of [["cluster", cluster], ["nfs", nfs], ["edge", edge]] as const) {
      rule(`${id}-ssh`, sg, { from: 22, protocol: "tcp", cidr: args.adminCidr, description: "SSH from the admin CIDR" });
      new aws.vpc.SecurityGroupEgressRule(`${name}-${id}-egress`, {
        securityGroupId: sg.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "packages, image pulls, AWS APIs",
        tags: sg.tags.apply((t) => t ?? {}),
      }, parent);
    }

    this.vpcId = vpc.id;
    this.internetAccess = [igw, routes, ...associations];
    this.clusterSecurityGroupId = cluster.id;
    this.nfsSecurityGroupId = nfs.id;
    this.edgeSecurityGroupId = edge.id;
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
