import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderSwarmNodeUserData } from "../renderers/cloudInit";
import { renderJoinTokenRead, renderNodeLabels, renderSwarmInit, renderSwarmJoin, renderSwarmPrune } from "../renderers/swarmBootstrap";
import { swarmNodeZone } from "../stacks/topology";
import { createMachine } from "./machine";
import { StackIdentity } from "../base/tags";

export interface SshAccess {
  /** Login user of the AMI. */
  readonly user: string;
  /** Private key of the key pair the instances were started with (a secret). */
  readonly privateKey: pulumi.Input<string>;
  /** EC2 key pair name. */
  readonly keyName: pulumi.Input<string>;
}

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
  readonly publicIp: pulumi.Output<string>;
  /** The swarm node ID printed by the init/join step. */
  readonly swarmNodeId: pulumi.Output<string>;
}

/**
 * Dial retries for an instance that is still booting: sshd answers 30 to 90 s after "running", and
 * the provider's defaults (10 failed dials, 15 s each) can give up first on a connection that is
 * refused quickly. 60 dials of at most 10 s bound the wait to about 10 minutes.
 */
export const SSH_DIAL = { dialErrorLimit: 60, perDialTimeout: 10 } as const;

/** SSH connection to an instance for @pulumi/command. */
export function sshConnection(instance: aws.ec2.Instance, ssh: SshAccess): command.types.input.remote.ConnectionArgs {
  return { host: instance.publicIp, user: ssh.user, privateKey: ssh.privateKey, ...SSH_DIAL };
}

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
  /** Public address of the first manager (Docker API over SSH, chaos observer). */
  readonly managerAddress: pulumi.Output<string>;
  /** The join steps: anything that needs the complete swarm depends on these. */
  readonly membership: pulumi.Resource[];

  constructor(name: string, args: SwarmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:compute:SwarmCluster", name, {}, opts);
    const parent = { parent: this };

    const machine = (role: "manager" | "worker", i: number) => {
      const nodeName = `${name}-${role}-${i}`;
      const instance = createMachine({
        identity: args.identity,
        role,
        name: nodeName,
        ami: args.ami,
        instanceType: role === "manager" ? args.managerInstanceType : args.workerInstanceType,
        // The placement rule lives with the config's AZ-loss check (stacks/topology.ts).
        subnetId: args.subnetIds[swarmNodeZone(role, i, args.subnetIds.length)],
        securityGroupIds: args.securityGroupIds,
        keyName: args.ssh.keyName,
        userData: renderSwarmNodeUserData({ hostname: nodeName, role, sshUser: args.ssh.user }),
      }, parent);
      return { nodeName, role, instance };
    };
    const managers = [...Array(args.managerCount).keys()].map((i) => machine("manager", i));
    const workers = [...Array(args.workerCount).keys()].map((i) => machine("worker", i));
    const leader = managers[0];

    // A replaced first manager must not initialise a second swarm: a probe on another manager
    // hands it a manager token when a swarm already runs there (nothing on a first deployment).
    const peer = managers[1];
    const probe = peer
      ? new command.remote.Command(`${name}-peer-probe`, {
          connection: sshConnection(peer.instance, args.ssh),
          create: renderJoinTokenRead("manager", { sudo: true, waitForCloudInit: true, onlyIfActive: true }),
          logging: "stderr",
          triggers: [leader.instance.id],
        }, { ...parent, dependsOn: [peer.instance], additionalSecretOutputs: ["stdout"] })
      : undefined;
    const init = new command.remote.Command(`${name}-swarm-init`, {
      connection: sshConnection(leader.instance, args.ssh),
      create: pulumi.all([leader.instance.privateIp, peer?.instance.privateIp]).apply(([ip, peerIp]) =>
        renderSwarmInit({
          advertiseAddr: ip,
          dispatcherHeartbeatSeconds: args.dispatcherHeartbeatSeconds,
          peerManagerAddr: peerIp,
          sudo: true,
          waitForCloudInit: true,
        }),
      ),
      stdin: probe ? pulumi.secret(probe.stdout) : undefined,
      triggers: [leader.instance.id],
    }, { ...parent, dependsOn: [leader.instance, ...(probe ? [probe] : [])] });

    const token = (role: "manager" | "worker") =>
      new command.remote.Command(`${name}-${role}-token`, {
        connection: sshConnection(leader.instance, args.ssh),
        create: renderJoinTokenRead(role, { sudo: true }),
        // The token is a credential: stdout stays out of the engine log and is a secret output.
        logging: "stderr",
        triggers: [init.id],
      }, { ...parent, dependsOn: [init], additionalSecretOutputs: ["stdout"] });
    const workerToken = token("worker");
    const managerToken = args.managerCount > 1 ? token("manager") : undefined;

    // No delete step: removing an instance needs no SSH (after a drill its public IP may have
    // changed), and the prune step below takes replaced members out of the swarm. A replaced join
    // is deleted before its successor runs, so two joins of one node never overlap.
    const join = (node: (typeof managers)[number], tokenCmd: command.remote.Command, after: pulumi.Resource[]) =>
      new command.remote.Command(`${name}-join-${node.nodeName}`, {
        connection: sshConnection(node.instance, args.ssh),
        create: pulumi
          .all([node.instance.privateIp, leader.instance.privateIp])
          .apply(([ip, managerIp]) =>
            renderSwarmJoin({ role: node.role, advertiseAddr: ip, managerAddr: managerIp, sudo: true, waitForCloudInit: true }),
          ),
        // The token travels on stdin, a secret input: never in the command line, logs or plain state.
        stdin: pulumi.secret(tokenCmd.stdout),
        triggers: [node.instance.id, init.id],
      }, { ...parent, dependsOn: [node.instance, tokenCmd, ...after], deleteBeforeReplace: true });

    const managerJoins: command.remote.Command[] = [];
    for (const m of managers.slice(1)) {
      managerJoins.push(join(m, managerToken!, managerJoins.slice(-1)));
    }
    const workerJoins = workers.map((w) => join(w, workerToken, managerJoins));

    // Demote and remove every member that is not one of today's instances (replaced or deleted nodes).
    const all = [...managers, ...workers];
    const prune = new command.remote.Command(`${name}-prune`, {
      connection: sshConnection(leader.instance, args.ssh),
      create: pulumi
        .all(all.map((n) => n.instance.privateIp))
        .apply((ips) => renderSwarmPrune({ memberAddrs: ips, sudo: true })),
      triggers: all.map((n) => n.instance.id),
    }, { ...parent, dependsOn: [init, ...managerJoins, ...workerJoins] });

    // Label every member with its zone once the membership is final (the WAS spreads over the label).
    const stepOf = (n: (typeof all)[number]) => (n === leader ? init : [...managerJoins, ...workerJoins][all.indexOf(n) - 1]);
    const zoneOf = (n: (typeof all)[number], i: number): pulumi.Input<string> => {
      const zones = args.subnetZones;
      return zones ? zones[swarmNodeZone(n.role, i, zones.length)] : n.instance.availabilityZone;
    };
    const labelled = all.map((n) =>
      pulumi.all([stepOf(n).stdout, zoneOf(n, n.role === "manager" ? managers.indexOf(n) : workers.indexOf(n))]).apply(([id, zone]) => ({ nodeId: id.trim(), zone })),
    );
    const labels = new command.remote.Command(`${name}-zone-labels`, {
      connection: sshConnection(leader.instance, args.ssh),
      create: pulumi.all(labelled).apply((nodes) => renderNodeLabels({ nodes, sudo: true })),
    }, { ...parent, dependsOn: [prune] });

    const node = (n: (typeof managers)[number], step: command.remote.Command): SwarmNode => ({
      name: n.nodeName,
      role: n.role,
      instanceId: n.instance.id,
      privateIp: n.instance.privateIp,
      publicIp: n.instance.publicIp,
      swarmNodeId: step.stdout.apply((s) => s.trim()),
    });
    this.managers = managers.map((m, i) => node(m, i === 0 ? init : managerJoins[i - 1]));
    this.workers = workers.map((w, i) => node(w, workerJoins[i]));
    this.managerAddress = leader.instance.publicIp;
    this.membership = [init, ...managerJoins, ...workerJoins, prune, labels];

    this.registerOutputs({
      managers: this.managers,
      workers: this.workers,
      managerAddress: this.managerAddress,
      membership: this.membership.map((r) => (r as command.remote.Command).id),
    });
  }
}
