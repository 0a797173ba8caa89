import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  renderKeepalivedConfPush,
  renderNginxConfPush,
  renderNotifyInstall,
} from "../renderers/edgeScripts";
import { FloatingAddress, renderKeepalivedConf, renderNotifyScript } from "../renderers/keepalived";
import { renderNginxConf } from "../renderers/nginxConf";
import { sshConnection, SshLogin } from "./hostAccess";

/** A balancer host: nginx installed (keepalived too for a pair), reachable over SSH. */
export interface BalancerHost {
  /** Where SSH dials it (through `ssh.proxy` when set). Keep it stable: a change re-runs the pushes. */
  readonly address: pulumi.Input<string>;
  /** Its address on the pair's network: keepalived's unicast source and the peer's only peer. */
  readonly privateAddress: pulumi.Input<string>;
  /** Identity of the machine: a new value pushes again. Default `privateAddress`. */
  readonly machineId?: pulumi.Input<string>;
  /** Resources its pushes wait for (the machine itself). Default none. */
  readonly dependsOn?: pulumi.Resource[];
}

/** A keepalived pair sharing one entry point. */
export interface BalancerPair {
  /** Interface VRRP adverts leave from (and a VIP is added to), e.g. eth0. */
  readonly interface: string;
  /** The shared entry point: a floating IP on the pair's network (`{kind: "vip", address}`). */
  readonly floating: FloatingAddress;
  /** keepalived's notify script. Default: the one that only records the state (no Elastic IP to move). */
  readonly notifyScript?: pulumi.Input<string>;
  /** Resources the notify install waits for (AWS: the role policy it checks). Default none. */
  readonly dependsOn?: pulumi.Resource[];
}

export interface EdgeConfigArgs {
  /** One balancer, or two for a keepalived pair (then `pair` is required). */
  readonly balancers: readonly BalancerHost[];
  /** SSH login on the balancers (a user with sudo). */
  readonly ssh: SshLogin;
  /** Addresses of every swarm node that may run a WAS task (nginx lists each). */
  readonly upstreamHosts: pulumi.Input<pulumi.Input<string>[]>;
  /** Port the WAS tasks publish on each node. */
  readonly upstreamPort: number;
  /** The pair's keepalived settings; required with two balancers. */
  readonly pair?: BalancerPair;
  /** Resources the nginx pushes wait for (e.g. the WAS service). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export interface EdgeConfigSteps {
  /** The nginx.conf every balancer runs. */
  readonly nginxConf: pulumi.Output<string>;
  /** keepalived.conf per balancer of a pair, in order; empty for one balancer. */
  readonly keepalivedConfs: pulumi.Output<string>[];
  /** Every push. */
  readonly pushes: command.remote.Command[];
}

/**
 * The balancers' configuration over SSH, under `parent`, named `<name>-<i>-...` (EdgeTier's names):
 * nginx.conf rendered from the node set, installed only if `nginx -t` accepts it, then reloaded;
 * on a pair, keepalived's notify script and keepalived.conf (checked with `keepalived -t`, node 0
 * first so it wins the first election). Each push re-runs when what it pushes, or the machine,
 * changes, and on nothing else.
 */
export function configureEdge(
  name: string,
  args: EdgeConfigArgs,
  parent: { readonly parent: pulumi.Resource },
): EdgeConfigSteps {
  if (args.balancers.length !== 1 && args.balancers.length !== 2)
    throw new Error(`edge: 1 or 2 balancers (got ${args.balancers.length})`);
  if (args.balancers.length === 2 && !args.pair)
    throw new Error("edge: two balancers need the pair's keepalived settings (pair)");
  const id = (b: BalancerHost) => b.machineId ?? b.privateAddress;
  const connect = (b: BalancerHost) => sshConnection(b.address, args.ssh);
  const nginxConf = pulumi
    .output(args.upstreamHosts)
    .apply((hosts) =>
      renderNginxConf({ upstreams: hosts.map((host) => ({ host, port: args.upstreamPort })) }),
    );
  const nginxPushes = args.balancers.map(
    (b, i) =>
      new command.remote.Command(
        `${name}-${i}-nginx-conf`,
        {
          connection: connect(b),
          create: renderNginxConfPush(),
          stdin: nginxConf,
          triggers: [nginxConf, id(b)],
        },
        {
          ...parent,
          dependsOn: [
            ...(b.dependsOn ?? []),
            ...(args.dependsOn ?? []),
          ] as pulumi.Input<pulumi.Resource>[],
        },
      ),
  );
  const pair = args.balancers.length === 2 ? args.pair : undefined;
  if (!pair) return { nginxConf, keepalivedConfs: [], pushes: nginxPushes };

  const notifyScript = pulumi.output(pair.notifyScript ?? renderNotifyScript());
  const confs: pulumi.Output<string>[] = [];
  const pushes: command.remote.Command[] = [...nginxPushes];
  let previous: pulumi.Resource | undefined;
  args.balancers.forEach((b, i) => {
    const conf = pulumi
      .all([b.privateAddress, args.balancers[1 - i].privateAddress])
      .apply(([selfIp, peerIp]) =>
        renderKeepalivedConf({
          nodeName: `${name}-${i}`,
          role: i === 0 ? "primary" : "standby",
          interface: pair.interface,
          selfIp,
          peerIp,
          floating: pair.floating,
        }),
      );
    confs.push(conf);
    const notify = new command.remote.Command(
      `${name}-${i}-keepalived-notify`,
      {
        connection: connect(b),
        create: renderNotifyInstall(),
        stdin: notifyScript,
        triggers: [notifyScript, id(b)],
      },
      { ...parent, dependsOn: [...(b.dependsOn ?? []), ...(pair.dependsOn ?? [])] },
    );
    previous = new command.remote.Command(
      `${name}-${i}-keepalived-conf`,
      {
        connection: connect(b),
        create: renderKeepalivedConfPush(),
        stdin: conf,
        triggers: [conf, notifyScript, id(b)],
      },
      {
        ...parent,
        // Node 0 starts keepalived first and so wins the first election (where an EIP already is).
        dependsOn: [notify, nginxPushes[i], ...(previous ? [previous] : [])],
      },
    );
    pushes.push(notify, previous as command.remote.Command);
  });
  return { nginxConf, keepalivedConfs: confs, pushes };
}

/**
 * swarm-ha on machines you already have: nginx in front of the swarm nodes, and for two balancers a
 * keepalived pair holding a floating IP, configured over SSH on existing hosts. `EdgeTier` composes
 * EC2 instances and an Elastic IP with the same pushes.
 */
export class EdgeConfig extends pulumi.ComponentResource {
  readonly nginxConf: pulumi.Output<string>;
  readonly keepalivedConfs: pulumi.Output<string>[];

  constructor(name: string, args: EdgeConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:edge:EdgeConfig", name, {}, opts);
    const steps = configureEdge(name, args, { parent: this });
    this.nginxConf = steps.nginxConf;
    this.keepalivedConfs = steps.keepalivedConfs;
    this.registerOutputs({ nginxConf: this.nginxConf, keepalivedConfs: this.keepalivedConfs });
  }
}
