import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  renderJoinTokenRead,
  renderNodeLabels,
  renderSwarmInit,
  renderSwarmJoin,
  renderSwarmPrune,
} from "../renderers/swarmBootstrap";
import { sshConnection, SshLogin } from "./hostAccess";

/** A machine that is to be a swarm member: wherever it runs, reachable over SSH. */
export interface SwarmHost {
  /** Unique name; names the host's join step (`<component>-join-<name>`). */
  readonly name: string;
  /**
   * Where SSH dials the host from the machine `pulumi up` runs on (a public or admin address). It may
   * change between runs (an EC2 stop/start does): pass the address it has now.
   */
  readonly address: pulumi.Input<string>;
  /** The address swarm advertises and the members reach each other on. Must be stable. */
  readonly privateAddress: pulumi.Input<string>;
  /** Value of the node label `swarm-ha.zone`, over which the WAS spreads its replicas. */
  readonly zone: pulumi.Input<string>;
  /** manager or worker. The first manager in `hosts` initialises the swarm. */
  readonly role: "manager" | "worker";
  /**
   * Identity of the machine: a new value means a new machine (its join runs again, the old member
   * is pruned). Default: `privateAddress`. The AWS program passes the instance id.
   */
  readonly machineId?: pulumi.Input<string>;
  /** Resources the host's steps wait for (e.g. the instance that is this host). Default none. */
  readonly dependsOn?: pulumi.Resource[];
}

export interface SwarmBootstrapArgs {
  /** The members, managers and workers. The first manager initialises the swarm; 1, 3 or 5 managers. */
  readonly hosts: readonly SwarmHost[];
  /** SSH login on every host (a user with sudo, or root with `sudo: false`), optionally through a jump host. */
  readonly ssh: SshLogin;
  /** Swarm dispatcher heartbeat in seconds (how soon a lost node is marked Down). */
  readonly dispatcherHeartbeatSeconds: number;
  /** Run docker with sudo. Default true (a login user on Ubuntu); false for root logins. */
  readonly sudo?: boolean;
}

/** What the bootstrap made: the steps to depend on and each host's swarm node id. */
export interface SwarmBootstrapSteps {
  /** Every init/join/prune/label step: anything that needs the complete swarm depends on these. */
  readonly membership: command.remote.Command[];
  /** The swarm node ID each host's init or join printed, in `hosts` order. */
  readonly nodeIds: pulumi.Output<string>[];
}

type Parent = { readonly parent: pulumi.Resource };

function checkHosts(hosts: readonly SwarmHost[]): void {
  const managers = hosts.filter((h) => h.role === "manager").length;
  if (![1, 3, 5].includes(managers))
    throw new Error(
      `a swarm needs 1, 3 or 5 managers (got ${managers}): Raft keeps a quorum with an odd count`,
    );
  const names = hosts.map((h) => h.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new Error(`host name "${dup}" appears twice: each host's steps are named after it`);
  if (!names.every((n) => /^[a-z0-9][a-z0-9-]*$/.test(n)))
    throw new Error("host names must be lowercase letters, digits and hyphens");
}

/**
 * Swarm membership over SSH on hosts that already run a Docker engine: `docker swarm init` on the
 * first manager, join tokens read as secrets, the other managers joined one after another (Raft
 * membership changes one at a time) and the workers in parallel, then a prune of members that are
 * no longer hosts and the zone labels. Idempotent and replacement-safe (renderers/swarmBootstrap.ts):
 * a re-run neither re-initialises nor joins twice, a replaced first manager joins the other managers'
 * swarm (found by a probe on the second manager), and nothing runs over SSH at delete time.
 * Resources are created under `parent` and named `<name>-...`, as SwarmCluster always named them.
 */
export function bootstrapSwarm(
  name: string,
  args: SwarmBootstrapArgs,
  parent: Parent,
): SwarmBootstrapSteps {
  checkHosts(args.hosts);
  const sudo = args.sudo ?? true;
  const connect = (h: SwarmHost) => sshConnection(h.address, args.ssh);
  const id = (h: SwarmHost) => h.machineId ?? h.privateAddress;
  const managers = args.hosts.filter((h) => h.role === "manager");
  const workers = args.hosts.filter((h) => h.role === "worker");
  const [leader, peer] = managers;

  // A replaced first manager must not initialise a second swarm: a probe on another manager
  // hands it a manager token when a swarm already runs there (nothing on a first deployment).
  const probe = peer
    ? new command.remote.Command(
        `${name}-peer-probe`,
        {
          connection: connect(peer),
          create: renderJoinTokenRead("manager", {
            sudo,
            waitForCloudInit: true,
            onlyIfActive: true,
          }),
          logging: "stderr",
          triggers: [id(leader)],
        },
        { ...parent, dependsOn: peer.dependsOn ?? [], additionalSecretOutputs: ["stdout"] },
      )
    : undefined;
  const init = new command.remote.Command(
    `${name}-swarm-init`,
    {
      connection: connect(leader),
      create: pulumi.all([leader.privateAddress, peer?.privateAddress]).apply(([ip, peerIp]) =>
        renderSwarmInit({
          advertiseAddr: ip,
          dispatcherHeartbeatSeconds: args.dispatcherHeartbeatSeconds,
          peerManagerAddr: peerIp,
          sudo,
          waitForCloudInit: true,
        }),
      ),
      stdin: probe ? pulumi.secret(probe.stdout) : undefined,
      triggers: [id(leader)],
    },
    { ...parent, dependsOn: [...(leader.dependsOn ?? []), ...(probe ? [probe] : [])] },
  );

  const token = (role: "manager" | "worker") =>
    new command.remote.Command(
      `${name}-${role}-token`,
      {
        connection: connect(leader),
        create: renderJoinTokenRead(role, { sudo }),
        // The token is a credential: stdout stays out of the engine log and is a secret output.
        logging: "stderr",
        triggers: [init.id],
      },
      { ...parent, dependsOn: [init], additionalSecretOutputs: ["stdout"] },
    );
  const workerToken = token("worker");
  const managerToken = managers.length > 1 ? token("manager") : undefined;

  // No delete step: removing a host needs no SSH (its address may be gone), and the prune step
  // below takes replaced members out of the swarm. A replaced join is deleted before its successor
  // runs, so two joins of one node never overlap.
  const join = (h: SwarmHost, tokenCmd: command.remote.Command, after: pulumi.Resource[]) =>
    new command.remote.Command(
      `${name}-join-${h.name}`,
      {
        connection: connect(h),
        create: pulumi.all([h.privateAddress, leader.privateAddress]).apply(([ip, managerIp]) =>
          renderSwarmJoin({
            role: h.role,
            advertiseAddr: ip,
            managerAddr: managerIp,
            sudo,
            waitForCloudInit: true,
          }),
        ),
        // The token travels on stdin, a secret input: never in the command line, logs or plain state.
        stdin: pulumi.secret(tokenCmd.stdout),
        triggers: [id(h), init.id],
      },
      {
        ...parent,
        dependsOn: [...(h.dependsOn ?? []), tokenCmd, ...after],
        deleteBeforeReplace: true,
      },
    );

  const managerJoins: command.remote.Command[] = [];
  for (const m of managers.slice(1))
    managerJoins.push(join(m, managerToken!, managerJoins.slice(-1)));
  const workerJoins = workers.map((w) => join(w, workerToken, managerJoins));

  // Demote and remove every member that is not one of today's hosts (replaced or deleted machines).
  const all = [...managers, ...workers];
  const prune = new command.remote.Command(
    `${name}-prune`,
    {
      connection: connect(leader),
      create: pulumi
        .all(all.map((h) => h.privateAddress))
        .apply((ips) => renderSwarmPrune({ memberAddrs: ips, sudo })),
      triggers: all.map(id),
    },
    { ...parent, dependsOn: [init, ...managerJoins, ...workerJoins] },
  );

  // Label every member with its zone once the membership is final (the WAS spreads over the label).
  const steps = [init, ...managerJoins, ...workerJoins];
  const labelled = all.map((h, i) =>
    pulumi
      .all([steps[i].stdout, h.zone])
      .apply(([nodeId, zone]) => ({ nodeId: nodeId.trim(), zone })),
  );
  const labels = new command.remote.Command(
    `${name}-zone-labels`,
    {
      connection: connect(leader),
      create: pulumi.all(labelled).apply((nodes) => renderNodeLabels({ nodes, sudo })),
    },
    { ...parent, dependsOn: [prune] },
  );

  const stepOf = new Map(all.map((h, i) => [h, steps[i]]));
  return {
    membership: [init, ...managerJoins, ...workerJoins, prune, labels],
    nodeIds: args.hosts.map((h) => stepOf.get(h)!.stdout.apply((s) => s.trim())),
  };
}

/**
 * swarm-ha on machines you already have: a Docker swarm bootstrapped over SSH on a list of hosts
 * (on-premises, another cloud, existing EC2 instances) that run a Docker engine and answer SSH with
 * a login that may use sudo. `SwarmCluster` composes EC2 instances with the same steps.
 */
export class SwarmBootstrap extends pulumi.ComponentResource {
  /** The init/join/prune/label steps: anything that needs the complete swarm depends on these. */
  readonly membership: pulumi.Resource[];
  /** Each host's swarm node ID, by host name. */
  readonly nodeIds: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: SwarmBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:swarm:SwarmBootstrap", name, {}, opts);
    const steps = bootstrapSwarm(name, args, { parent: this });
    this.membership = steps.membership;
    this.nodeIds = Object.fromEntries(args.hosts.map((h, i) => [h.name, steps.nodeIds[i]]));
    this.registerOutputs({ membership: steps.membership.map((c) => c.id), nodeIds: this.nodeIds });
  }
}
