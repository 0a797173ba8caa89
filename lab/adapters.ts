/**
 * The chaos drill's lab adapters (chaos/types.ts): one NodeStopper per fault kind over node
 * containers (container name == swarm hostname): `docker stop` (LabStopper), `docker kill`
 * (LabKiller), iptables DROP inside the node (LabPartitioner); and a SwarmObserver that reads the
 * swarm's own view from a manager's engine, falling over to another manager when the one it asked
 * is down (the drill may stop a manager when the lab runs 3).
 */
import type Docker from "dockerode";
import type {
  NodeInfo,
  NodeStopper,
  PlacementInfo,
  PlacementObserver,
  TaskInfo,
} from "../chaos/types";
import { nodeFromEngine, parseDockerTime, taskFromEngine } from "../chaos/engineApi";
import { randomBytes } from "crypto";
import type { FaultKind } from "../base/faults";
import {
  renderPartitionCut,
  renderPartitionExpiry,
  renderPartitionHeal,
  renderSilence,
} from "./labPartition";
import { docker, dockerRaw, LabError } from "./docker";
import { nodeEngine } from "./engines";
import { LAB_LABEL, ROLE_LABEL } from "./settings";

/** Refuses any container that is not a lab container of one of `roles` (read from its labels). */
export async function checkLabContainer(target: string, roles: readonly string[]): Promise<void> {
  const r = await dockerRaw([
    "container",
    "inspect",
    "--format",
    `{{index .Config.Labels "${LAB_LABEL}"}} {{index .Config.Labels "${ROLE_LABEL}"}}`,
    target,
  ]);
  const [lab, role] = r.stdout.trim().split(" ");
  if (r.code !== 0 || lab !== "1" || !roles.includes(role)) {
    throw new LabError(
      `${target} is not a lab container of role ${roles.join("|")} (labels ${LAB_LABEL}=1, ${ROLE_LABEL}=${roles.join("|")})`,
    );
  }
}

/**
 * Stops/starts lab containers of the given roles (node containers by default; the balancer drill
 * passes ["nginx"]). Refuses any container that is not a lab container of one of those roles.
 */
export class LabStopper implements NodeStopper {
  /**
   * @param stopTimeoutSeconds grace period of `docker stop` before SIGKILL: a node's engine stops
   *   its tasks (which drain) and leaves; a balancer's entrypoint drains nginx and drops keepalived's
   *   priority. Default 10.
   * @param roles values of the role label this stopper may touch. Default manager and worker.
   */
  constructor(
    private readonly stopTimeoutSeconds = 10,
    protected readonly roles: readonly string[] = ["manager", "worker"],
  ) {}

  protected check(target: string): Promise<void> {
    return checkLabContainer(target, this.roles);
  }

  async stop(target: string): Promise<void> {
    await this.check(target);
    await docker(["stop", "-t", String(this.stopTimeoutSeconds), target]);
  }

  async start(target: string): Promise<void> {
    await this.check(target);
    await docker(["start", target]);
  }
}

/**
 * `kill`: `docker kill` (SIGKILL to the node's init: no drain, no leave), `docker start` on heal.
 * A balancer (role nginx) first falls silent (silenceContainer), as a powered-off instance does.
 */
export class LabKiller extends LabStopper {
  private readonly silencedAt = new Map<string, number>();

  constructor(roles: readonly string[] = ["manager", "worker"]) {
    super(0, roles);
  }

  override async stop(target: string): Promise<void> {
    await this.check(target);
    this.silencedAt.delete(target);
    if (this.roles.includes("nginx")) this.silencedAt.set(target, await silenceContainer(target));
    await killOrRestart(target);
  }

  /**
   * When the kill took effect: for a silenced balancer the moment its link went down; else the
   * container's State.FinishedAt, stamped by this host's engine.
   */
  async effectiveAt(target: string): Promise<number | undefined> {
    const silenced = this.silencedAt.get(target);
    if (silenced !== undefined) return silenced;
    const r = await dockerRaw([
      "container",
      "inspect",
      "--format",
      "{{.State.FinishedAt}}",
      target,
    ]);
    return r.code === 0 ? parseDockerTime(r.stdout.trim()) : undefined;
  }
}

/**
 * A power loss makes a host silent. `docker kill` does not: the killed container's network
 * namespace, floating address included, answers SYNs with RST until the engine tears it down
 * (measured: every failed request of the lab's first edge-kill and az-loss runs was ECONNREFUSED
 * from it). So a balancer's links go down inside its own namespace first; `docker start` builds a
 * new namespace on heal. Returns the epoch ms at which the links went down (the container's clock
 * is the host's).
 */
export async function silenceContainer(target: string): Promise<number> {
  const r = await dockerRaw(["exec", target, "sh", "-c", renderSilence()]);
  const ns = /^(\d{19})$/.exec(r.stdout.trim());
  if (r.code === 0 && ns) return Math.floor(Number(BigInt(ns[1]) / 1_000_000n));
  // Half-silenced is worse than either state: a restart gives the container a fresh namespace.
  const back = await dockerRaw(["restart", "-t", "0", target]);
  throw new LabError(
    `silencing ${target} failed (${r.stderr.trim() || `exit ${r.code}, printed ${JSON.stringify(r.stdout.trim())}`}); it was ${back.code === 0 ? "restarted" : `NOT restarted: ${back.stderr.trim()}`}`,
  );
}

/** `docker kill`; if that fails, `docker restart` so that no half-killed (silenced) container is left. */
async function killOrRestart(target: string): Promise<void> {
  const r = await dockerRaw(["kill", target]);
  if (r.code === 0) return;
  const back = await dockerRaw(["restart", "-t", "0", target]);
  throw new LabError(
    `docker kill ${target} failed (${r.stderr.trim() || `exit ${r.code}`}); it was ${back.code === 0 ? "restarted" : `NOT restarted: ${back.stderr.trim()}`}`,
  );
}

/**
 * `partition`: the node runs on, its lab-network traffic dropped inside its own network namespace
 * (lab/labPartition.ts). Next to the cut, a detached safety heals after `expireAfterSeconds`
 * if this process is gone by then. The heal is idempotent; a cut that fails half-way is rolled back.
 */
export class LabPartitioner implements NodeStopper {
  constructor(
    private readonly expireAfterSeconds: number,
    private readonly roles: readonly string[] = ["manager", "worker"],
  ) {}

  async stop(target: string): Promise<void> {
    await checkLabContainer(target, this.roles);
    const token = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
    const cut = await dockerRaw(["exec", target, "sh", "-c", renderPartitionCut(token)]);
    if (cut.code !== 0) {
      const healed = await dockerRaw(["exec", target, "sh", "-c", renderPartitionHeal()]);
      throw new LabError(
        `partition of ${target} failed (${cut.stderr.trim() || `exit ${cut.code}`}) and was ${healed.code === 0 ? "rolled back" : `NOT rolled back: ${healed.stderr.trim()}`}`,
      );
    }
    await docker([
      "exec",
      "-d",
      target,
      "sh",
      "-c",
      renderPartitionExpiry(token, this.expireAfterSeconds),
    ]);
  }

  async start(target: string): Promise<void> {
    await checkLabContainer(target, this.roles);
    const r = await dockerRaw(["exec", target, "sh", "-c", renderPartitionHeal()]);
    if (r.code !== 0)
      throw new LabError(
        `healing the partition of ${target} failed: ${r.stderr.trim() || `exit ${r.code}`}; by hand: docker exec ${target} sh -c "iptables -t raw -F PREROUTING; iptables -t mangle -F POSTROUTING"`,
      );
  }
}

/**
 * The lab's adapter for a fault kind, over containers of `roles` (the balancer drill passes
 * ["nginx"]). Partitioning a balancer is refused for now: cut off, it would keep the floating
 * address while the standby takes it too (VRRP cannot tell a dead peer from an unreachable one),
 * and the lab's observer, which reads each container's eth0, would see two holders by design.
 */
export function labFaultStopper(
  kind: FaultKind,
  roles: readonly string[],
  expireAfterSeconds: number,
): NodeStopper {
  return LAB_FAULT_STOPPERS[kind](roles, expireAfterSeconds);
}

/** The lab's adapter of each fault kind: a kind of base/faults.ts without one here does not compile. */
const LAB_FAULT_STOPPERS: Readonly<
  Record<FaultKind, (roles: readonly string[], expireAfterSeconds: number) => NodeStopper>
> = {
  stop: (roles) => new LabStopper(10, roles),
  kill: (roles) => new LabKiller(roles),
  partition: (roles, expireAfterSeconds) => {
    if (roles.includes("nginx")) {
      throw new LabError(
        "--fault partition of a balancer is not drilled in the lab (both would hold the floating address while it is cut); use --target edge with --fault stop or kill",
      );
    }
    return new LabPartitioner(expireAfterSeconds, roles);
  },
};

/** Reads nodes, tasks and the service from the first manager that answers. */
export class LabObserver implements PlacementObserver {
  private readonly engines: { name: string; api: Docker }[];
  private preferred = 0;

  /** @param managers hostnames of the manager containers, in the order to ask them. */
  constructor(managers: readonly string[], timeoutMs = 2000) {
    if (managers.length === 0) throw new LabError("the observer needs at least one manager");
    this.engines = managers.map((name) => ({ name, api: nodeEngine(name, timeoutMs) }));
  }

  /** Manager that answered last (for messages). */
  get current(): string {
    return this.engines[this.preferred].name;
  }

  private async ask<T>(what: string, f: (api: Docker) => Promise<T>): Promise<T> {
    const errors: string[] = [];
    for (let i = 0; i < this.engines.length; i++) {
      const idx = (this.preferred + i) % this.engines.length;
      const e = this.engines[idx];
      try {
        const v = await f(e.api);
        this.preferred = idx;
        return v;
      } catch (err) {
        // A stopped manager refuses the connection; a follower without quorum answers 503.
        errors.push(
          `${e.name}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
        );
      }
    }
    throw new LabError(`no manager answered ${what}: ${errors.join("; ")}`);
  }

  nodes(): Promise<NodeInfo[]> {
    return this.ask("GET /nodes", async (api) => {
      const list = (await api.listNodes()) as Array<Record<string, any>>;
      return list.map(nodeFromEngine);
    });
  }

  tasks(service: string): Promise<TaskInfo[]> {
    return this.ask("GET /tasks", async (api) => {
      const list = (await api.listTasks({
        filters: JSON.stringify({ service: [service] }),
      })) as Array<Record<string, any>>;
      return list.map(taskFromEngine);
    });
  }

  private spec(service: string): Promise<Record<string, any>> {
    return this.ask(
      "GET /services",
      async (api) => ((await api.getService(service).inspect()) as Record<string, any>).Spec,
    );
  }

  async desiredReplicas(service: string): Promise<number> {
    const spec = await this.spec(service);
    const n = spec.Mode?.Replicated?.Replicas;
    if (typeof n !== "number") throw new LabError(`service ${service} is not a replicated service`);
    return n;
  }

  async placement(service: string): Promise<PlacementInfo> {
    const p = (await this.spec(service)).TaskTemplate?.Placement ?? {};
    return { constraints: p.Constraints ?? [], maxReplicasPerNode: p.MaxReplicas ?? 0 };
  }
}
