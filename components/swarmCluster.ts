import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderSwarmNodeUserData } from "../renderers/cloudInit";
import { swarmNodeZone } from "../config/topology";
import { createMachine, livePublicIp } from "./machine";
import { bootstrapSwarm, SwarmHost } from "./swarmBootstrap";
import { StackIdentity } from "../base/tags";
import { SshAccess } from "./ssh";

export interface SwarmClusterArgs {
  /** Project and stack, written into every tag (the policy pack and the chaos guard read them). */
  readonly identity: StackIdentity;
  /** Ubuntu 24.04 or 26.04 AMI the scripts are written for: `ubuntuAmi({}, release)`. */
  readonly ami: pulumi.Input<string>;
  /** Managers: 1, 3 or 5. The first one initialises the swarm. */
  readonly managerCount: 1 | 3 | 5;
  /** EC2 instance type of the managers. */
  readonly managerInstanceType: string;
  /** Workers, 1 or more. */
  readonly workerCount: number;
  /** EC2 instance type of the workers. */
  readonly workerInstanceType: string;
  /** Subnets to spread nodes over, round-robin (one per availability zone). */
  readonly subnetIds: pulumi.Input<string>[];
  /**
   * The availability zone of each subnet, in `subnetIds` order: each node is labelled
   * `swarm-ha.zone=<zone>` so the WAS spreads over zones. Default: each instance's own zone.
   */
  readonly subnetZones?: pulumi.Input<string>[];
  /** Security groups of the instances (a ClusterNetwork's group for this role). */
  readonly securityGroupIds: pulumi.Input<string>[];
  /** The key pair the instances start with and the login `pulumi up` configures them over. */
  readonly ssh: SshAccess;
  /** Swarm dispatcher heartbeat in seconds. */
  readonly dispatcherHeartbeatSeconds: number;
}

export interface SwarmNode {
  readonly name: string;
  readonly role: "manager" | "worker";
  readonly instanceId: pulumi.Output<string>;
  readonly privateIp: pulumi.Output<string>;
  /** The public address EC2 reports when the program runs (it changes with a stop/start). */
  readonly publicIp: pulumi.Output<string>;
  /** The swarm node ID printed by the init/join step. */
  readonly swarmNodeId: pulumi.Output<string>;
}

export { SSH_DIAL, sshConnection } from "./hostAccess";

/**
 * Swarm managers and workers on EC2. User data installs the engine; membership is done over SSH:
 * `docker swarm init` on the first manager, join tokens read as secrets, then the other managers
 * join one after another (Raft membership changes one at a time) and the workers join in parallel;
 * a prune step then removes members that are no longer instances. The scripts are idempotent and
 * replacement-safe: a re-run neither re-initialises nor joins twice, a node in another swarm does not
 * pass for a member, and a replaced first manager joins the other managers' swarm. Nothing runs over
 * SSH at delete time.
 */
export class SwarmCluster extends pulumi.ComponentResource {
  readonly managers: SwarmNode[];
  readonly workers: SwarmNode[];
  /** Public address of the first manager as EC2 reports it now (Docker API over SSH, chaos observer). */
  readonly managerAddress: pulumi.Output<string>;
  /** The join steps: anything that needs the complete swarm depends on these. */
  readonly membership: pulumi.Resource[];

  constructor(name: string, args: SwarmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:compute:SwarmCluster", name, {}, opts);
    const parent = { parent: this };

    const machine = (role: "manager" | "worker", i: number) => {
      const nodeName = `${name}-${role}-${i}`;
      const instance = createMachine(
        {
          identity: args.identity,
          role,
          name: nodeName,
          ami: args.ami,
          instanceType: role === "manager" ? args.managerInstanceType : args.workerInstanceType,
          // The placement rule lives with the config's AZ-loss check (config/topology.ts).
          subnetId: args.subnetIds[swarmNodeZone(role, i, args.subnetIds.length)],
          securityGroupIds: args.securityGroupIds,
          keyName: args.ssh.keyName,
          userData: renderSwarmNodeUserData({ hostname: nodeName, role, sshUser: args.ssh.user }),
        },
        parent,
      );
      // Dialled where EC2 says the instance is now: a stop/start (the drill's manager, az:<zone>
      // and kill faults) gives it a new public IP, and the one saved at launch is then stale.
      return { nodeName, role, instance, address: livePublicIp(instance, parent) };
    };
    const managers = [...Array(args.managerCount).keys()].map((i) => machine("manager", i));
    const workers = [...Array(args.workerCount).keys()].map((i) => machine("worker", i));
    const all = [...managers, ...workers];

    // The membership itself runs on the instances as on any host (components/swarmBootstrap.ts),
    // under this component and with the names it always had, so a deployed stack keeps every step.
    const zoneOf = (
      role: "manager" | "worker",
      i: number,
      instance: (typeof all)[number]["instance"],
    ): pulumi.Input<string> => {
      const zones = args.subnetZones;
      return zones ? zones[swarmNodeZone(role, i, zones.length)] : instance.availabilityZone;
    };
    const hosts: SwarmHost[] = all.map((n) => ({
      name: n.nodeName,
      address: n.address,
      privateAddress: n.instance.privateIp,
      zone: zoneOf(n.role, (n.role === "manager" ? managers : workers).indexOf(n), n.instance),
      role: n.role,
      machineId: n.instance.id,
      dependsOn: [n.instance],
    }));
    const steps = bootstrapSwarm(
      name,
      { hosts, ssh: args.ssh, dispatcherHeartbeatSeconds: args.dispatcherHeartbeatSeconds },
      parent,
    );

    const node = (n: (typeof all)[number], i: number): SwarmNode => ({
      name: n.nodeName,
      role: n.role,
      instanceId: n.instance.id,
      privateIp: n.instance.privateIp,
      publicIp: n.address,
      swarmNodeId: steps.nodeIds[i],
    });
    this.managers = managers.map((m, i) => node(m, i));
    this.workers = workers.map((w, i) => node(w, managers.length + i));
    this.managerAddress = managers[0].address;
    this.membership = steps.membership;

    this.registerOutputs({
      managers: this.managers,
      workers: this.workers,
      managerAddress: this.managerAddress,
      membership: this.membership.map((r) => (r as command.remote.Command).id),
    });
  }
}
