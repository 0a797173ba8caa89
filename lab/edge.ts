/**
 * The balancer drill's lab adapters (`npm run chaos -- --lab --target edge`): an EdgeObserver that
 * reads who holds the floating address from each nginx container's eth0 (the truth the network
 * sees; the notify script's state file says what keepalived believes), and a NodeStopper that
 * stops and starts nginx containers only.
 */
import { answers, probe } from "../chaos/load/probe";
import type { EdgeObserver, LabDrillAdapters } from "../chaos/types";
import { LabObserver, LabStopper } from "./adapters";
import { dockerRaw, LabError } from "./docker";
import { labContainers, vipHolders, VIP_FILE } from "./lab";
import { KEEPALIVED_PATHS } from "../renderers/keepalived";
import { NGINX_HEALTH_PATH } from "../renderers/nginxConf";
import { SERVICE } from "./settings";

/** Stops/starts lab balancer containers (role nginx) only; see LabStopper. */
export class LabEdgeStopper extends LabStopper {
  constructor(stopTimeoutSeconds = 10) {
    super(stopTimeoutSeconds, ["nginx"]);
  }
}

export class LabEdgeObserver implements EdgeObserver {
  /**
   * @param edges the balancer containers, in order
   * @param vip the floating address (CIDR or bare)
   * @param url the entry point through the floating address
   */
  constructor(
    private readonly edges: readonly string[],
    private readonly vip: string,
    private readonly url: string,
    private readonly probeTimeoutMs = 500,
  ) {}

  async nodes(): Promise<string[]> {
    return [...this.edges];
  }

  holders(): Promise<string[]> {
    return vipHolders(this.edges, this.vip);
  }

  /** Running, and keepalived has reported a state since the container started (the entrypoint clears it). */
  async ready(node: string): Promise<boolean> {
    const r = await dockerRaw(["exec", node, "cat", KEEPALIVED_PATHS.stateFile], {
      timeoutMs: 5000,
    });
    return r.code === 0 && /^(MASTER|BACKUP)\s*$/.test(r.stdout);
  }

  answers(): Promise<boolean> {
    return answers(this.url, this.probeTimeoutMs);
  }

  /**
   * From this host, as a client sees it: the X-Balancer header names the nginx that answered
   * ($hostname, which the lab sets to the container name). The path is the one nginx answers
   * itself, so the figure is the address moving, not an upstream's latency on the loaded lab (a
   * proxied probe answered 0.5 s later at 200 connections). A longer timeout than answers(): a
   * probe sent into the dead holder's MAC waits for TCP's SYN retransmit, and the drill fires a
   * new one every 50 ms anyway.
   */
  async answeredBy(): Promise<{ ok: boolean; balancer?: string }> {
    const r = await probe(new URL(NGINX_HEALTH_PATH, this.url).toString(), 2000);
    return { ok: r.ok, ...(r.balancer ? { balancer: r.balancer } : {}) };
  }
}

/** The running lab's pair: names, floating address and entry point, read from its containers. */
export async function findLabPair(): Promise<{ edges: string[]; vip: string; url: string }> {
  const cs = await labContainers();
  if (cs.length === 0)
    throw new LabError("no lab is running; start one with npm run lab -- up --no-drill");
  const edges = cs
    .filter((c) => c.role === "nginx")
    .map((c) => c.name)
    .sort();
  if (edges.length < 2) {
    throw new LabError(
      `the lab runs ${edges.length} balancer(s); the balancer drill needs the pair: npm run lab -- up --edge 2 --no-drill`,
    );
  }
  const r = await dockerRaw(["exec", edges[0], "cat", VIP_FILE]);
  const vip = r.stdout.trim();
  if (r.code !== 0 || !/^\d+\.\d+\.\d+\.\d+$/.test(vip))
    throw new LabError(`${edges[0]} has no floating address (${VIP_FILE}); bring the lab up again`);
  return { edges, vip, url: `http://${vip}/` };
}

/**
 * `npm run chaos -- --lab --target edge`: the pair's observer and stopper, the floating address as
 * the entry point, and the swarm observer (for the replicas figure of the report).
 */
export async function createLabEdgeAdapters(opts: {
  readonly log: (line: string) => void;
}): Promise<LabDrillAdapters & { readonly edge: EdgeObserver }> {
  const pair = await findLabPair();
  const managers = (await labContainers())
    .filter((c) => c.role === "manager")
    .map((c) => c.name)
    .sort();
  opts.log(`lab pair ${pair.edges.join(", ")}, floating address ${pair.vip}`);
  return {
    observer: new LabObserver(managers),
    stopper: new LabEdgeStopper(),
    service: SERVICE,
    url: pair.url,
    edge: new LabEdgeObserver(pair.edges, pair.vip, pair.url),
  };
}
