/**
 * Bring-up and tear-down of the local lab: the whole topology on the local Docker engine, built
 * with the same renderers the AWS components use (swarm bootstrap scripts, service spec,
 * nginx.conf, NFS export model).
 */
import { createHash } from "crypto";
import { signalGuard } from "../base/signals";
import * as fs from "fs";
import * as path from "path";
import { nodeFromBody } from "../chaos/load/load";
import { probe as chaosProbe } from "../chaos/load/probe";
import {
  KEEPALIVED_PATHS,
  renderKeepalivedConf,
  renderNotifyScript,
} from "../renderers/keepalived";
import { renderNginxConf } from "../renderers/nginxConf";
import { renderGaneshaConf } from "../renderers/nfsExports";
import { renderServiceSpec, ServiceSpec } from "../renderers/serviceSpec";
import {
  renderJoinTokenRead,
  renderNodeLabels,
  renderSwarmInit,
  renderSwarmJoin,
} from "../renderers/swarmBootstrap";
import type { SwarmHaConfig } from "../config/schema";
import { countRunningOnReady } from "../chaos/drill/core";
import { waitRolledOut } from "./rollout";
import { labNodeZone } from "./zones";
import { LabObserver } from "./adapters";
import { checkEngine, docker, dockerRaw, LabError, since } from "./docker";
import { nodeApiDir, nodeEngine, nodeSocket, removeRunDirs } from "./engines";
import { appImageTar, ensureImages, LabImages, type DebianRelease } from "./images";
import {
  LAB_LABEL,
  labConfig,
  LabOptions,
  layout,
  Layout,
  EdgeSlot,
  LOG_VOLUME,
  NETWORK,
  NODE_LOG_DIR,
  NodeSlot,
  ROLE_LABEL,
  SERVICE,
} from "./settings";

/** The first balancer: the NFS proof's client outside the export's range. */
export const NGINX = "swarm-ha-nginx-1";
/** Where a pair balancer finds its floating address (the entrypoint's drain drops new connections to it). */
export const VIP_FILE = "/run/swarm-ha/vip";
export const NFS = "swarm-ha-nfs";
const SPEC_LABEL = "swarm-ha.lab.spec";

export type Log = (line: string) => void;

export interface LabInfo {
  readonly layout: Layout;
  readonly config: SwarmHaConfig;
  readonly images: LabImages;
  readonly url: string;
  readonly managers: readonly string[];
  readonly serviceSpec: ServiceSpec;
  readonly timings: Readonly<Record<string, number>>;
  readonly totalSeconds: number;
  readonly reused: boolean;
}

/** Like Promise.all, but waits for every promise to settle before rejecting with the first error. */
async function settleAll(ps: readonly Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Runs one named step, printing its duration; the timings end up in the report. */
async function step<T>(
  timings: Record<string, number>,
  log: Log,
  name: string,
  f: () => Promise<T>,
): Promise<T> {
  const t = performance.now();
  log(`▶ ${name}`);
  const v = await f();
  timings[name] = Number(since(t));
  log(`✔ ${name} (${since(t)} s)`);
  return v;
}

/**
 * Rights a Docker engine needs inside a container. The lab machine refuses --privileged (its
 * bounding set lacks CAP_SYS_RESOURCE) and runs cgroup v1, so the node gets every other capability
 * and a writable cgroup tree; cgroup v2 hosts (most workstations) get --privileged instead.
 */
export function dindFlags(cgroupVersion: string, privileged?: boolean): string[] {
  if (privileged ?? cgroupVersion === "2") return ["--privileged", "--cgroupns", "private"];
  return [
    "--cap-add",
    "ALL",
    "--cap-drop",
    "SYS_RESOURCE",
    "--security-opt",
    "seccomp=unconfined",
    "--security-opt",
    "apparmor=unconfined",
    "--security-opt",
    "systempaths=unconfined",
    "--device-cgroup-rule",
    "a *:* rwm",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
  ];
}

function labels(role: string, spec: string): string[] {
  return [
    "--label",
    `${LAB_LABEL}=1`,
    "--label",
    `${ROLE_LABEL}=${role}`,
    "--label",
    `${SPEC_LABEL}=${spec}`,
  ];
}

/** Writes `content` to `file` inside a running container (content on stdin, not in argv). */
export async function writeInto(container: string, file: string, content: string): Promise<void> {
  await docker(
    ["exec", "-i", container, "sh", "-c", `mkdir -p "$(dirname '${file}')" && cat > '${file}'`],
    { input: content },
  );
}

/** Runs a rendered POSIX script in a node: the script is written to a file, `stdin` goes to it. */
export async function runScript(
  node: string,
  name: string,
  script: string,
  stdin = "",
): Promise<string> {
  await writeInto(node, `/run/swarm-ha/${name}.sh`, script);
  return (
    await docker(["exec", "-i", node, "sh", `/run/swarm-ha/${name}.sh`], {
      input: stdin,
      timeoutMs: 120_000,
    })
  ).trim();
}

export async function labContainers(): Promise<
  { name: string; role: string; state: string; spec: string }[]
> {
  const out = await docker([
    "ps",
    "-a",
    "--filter",
    `label=${LAB_LABEL}=1`,
    "--format",
    `{{.Names}}\t{{.Label "${ROLE_LABEL}"}}\t{{.State}}\t{{.Label "${SPEC_LABEL}"}}`,
  ]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [name, role, state, spec] = l.split("\t");
      return { name, role, state, spec };
    });
}

/** Removes every container, network and volume labelled swarm-ha.lab=1. Returns what was removed. */
export async function down(log: Log): Promise<string[]> {
  const removed: string[] = [];
  const cs = await labContainers();
  if (cs.length) {
    // -v: the nodes' anonymous /var/lib/docker volumes go with them.
    await docker(["rm", "-f", "-v", ...cs.map((c) => c.name)]);
    removed.push(...cs.map((c) => `container ${c.name}`));
  }
  const nets = (await docker(["network", "ls", "-q", "--filter", `label=${LAB_LABEL}=1`]))
    .split("\n")
    .filter(Boolean);
  for (const n of nets) {
    await docker(["network", "rm", n]);
    removed.push(`network ${n}`);
  }
  const vols = (await docker(["volume", "ls", "-q", "--filter", `label=${LAB_LABEL}=1`]))
    .split("\n")
    .filter(Boolean);
  if (vols.length) {
    await docker(["volume", "rm", "-f", ...vols]);
    removed.push(...vols.map((v) => `volume ${v}`));
  }
  removeRunDirs();
  for (const r of removed) log(`  removed ${r}`);
  return removed;
}

/** The WAS service spec, from the shared renderer, for these settings. */
export function wasSpec(
  cfg: SwarmHaConfig,
  image: string,
  restartDelaySeconds = cfg.swarm.taskRestartDelaySeconds,
): ServiceSpec {
  return renderServiceSpec({
    name: SERVICE,
    image,
    replicas: cfg.was.replicas,
    port: cfg.was.port,
    healthPath: cfg.was.healthPath,
    env: cfg.was.env,
    // Lab substitution: the directory the NFS server exports, mounted into every node (see README).
    logVolume: { kind: "bind", hostPath: NODE_LOG_DIR },
    restartDelaySeconds,
    managersRunTasks: cfg.managers.runTasks,
  });
}

/** Creates the service, or updates it when its spec differs. Returns true when it changed. */
export async function deployService(manager: string, spec: ServiceSpec): Promise<boolean> {
  const api = nodeEngine(manager, 30_000);
  const existing = await api
    .getService(spec.Name)
    .inspect()
    .catch(() => undefined);
  if (!existing) {
    await api.createService(spec as any);
    return true;
  }
  const current = existing.Spec as Record<string, any>;
  // Compare what we set; the engine adds defaults (e.g. Isolation, ForceUpdate) we leave alone.
  if (JSON.stringify(pick(current, spec)) === JSON.stringify(spec)) return false;
  await api.getService(spec.Name).update({ ...spec, version: existing.Version.Index } as any);
  return true;
}

/** The subset of `actual` with the shape of `wanted` (keys of wanted only, recursively). */
function pick(actual: any, wanted: any): any {
  if (Array.isArray(wanted))
    return Array.isArray(actual) ? wanted.map((w, i) => pick(actual[i], w)) : actual;
  if (wanted && typeof wanted === "object") {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(wanted)) o[k] = pick(actual?.[k], wanted[k]);
    return o;
  }
  return actual;
}

/** Waits until the service's desired tasks run on Ready nodes and any rolling update finished. */
export async function waitConverged(
  observer: LabObserver,
  manager: string,
  timeoutMs: number,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const [nodes, tasks, desired] = await Promise.all([
        observer.nodes(),
        observer.tasks(SERVICE),
        observer.desiredReplicas(SERVICE),
      ]);
      const running = countRunningOnReady(nodes, tasks);
      const svc = (await nodeEngine(manager).getService(SERVICE).inspect()) as Record<string, any>;
      const update = svc.UpdateStatus?.State as string | undefined;
      const updating = update === "updating" || update === "rollback_started";
      last = `${running}/${desired} running on Ready nodes${update ? `, update ${update}` : ""}`;
      if (
        running === desired &&
        !updating &&
        tasks.filter((t) => t.desiredState === "running").length === desired
      )
        return running;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > until)
      throw new LabError(`the WAS service did not converge within ${timeoutMs / 1000} s: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One GET through nginx (chaos/load/probe.ts): the node that answered, or undefined on failure. */
async function probe(url: string): Promise<string | undefined> {
  const r = await chaosProbe(url, 3000);
  return r.status === 200 ? nodeFromBody(r.body) : undefined;
}

/** Waits until requests through nginx have been answered by every node that runs a task. */
export async function waitServedByAll(
  url: string,
  observer: LabObserver,
  timeoutMs: number,
): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const [nodes, tasks] = await Promise.all([observer.nodes(), observer.tasks(SERVICE)]);
    const hostOf = new Map(nodes.map((n) => [n.id, n.hostname]));
    const expected = tasks
      .filter((t) => t.state === "running" && t.desiredState === "running")
      .map((t) => hostOf.get(t.nodeId)!);
    const answers = await Promise.all(Array.from({ length: 12 }, () => probe(url)));
    for (const a of answers) if (a) seen.add(a);
    if (expected.length > 0 && expected.every((h) => seen.has(h))) return expected.sort();
    if (Date.now() > until) {
      throw new LabError(
        `requests through nginx (${url}) were not answered by every replica within ${timeoutMs / 1000} s: expected ${expected.join(", ")}, answered by ${[...seen].join(", ") || "none"}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Waits until a node's engine answers on its host socket (lab/engines.ts). */
export async function waitEngine(node: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await nodeEngine(node, 2000)
      .ping()
      .then(
        () => true,
        () => false,
      );
    if (ok) return;
    if (Date.now() > until) {
      const sock = nodeSocket(node);
      const why = fs.existsSync(sock)
        ? `see docker logs ${node}`
        : `its socket ${sock} does not exist: was the lab started from another checkout? (npm run lab -- down there, or here)`;
      throw new LabError(
        `the Docker engine in ${node} did not answer on its host socket within ${timeoutMs / 1000} s; ${why}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Loads the app image into a node's engine unless it is there already. The host's docker CLI
 * talks to the node's engine through its host socket: the tar is read from disk by the CLI and
 * streamed once, instead of through `docker exec -i` (host CLI, host engine, exec stream, node CLI).
 * Measured on the 2-core lab machine, 276 MB tar: 10.2 s vs 12.4 s alone, 15.6 s vs 25.7 s for
 * two nodes at once.
 */
export async function loadApp(node: string, image: string, tar: string): Promise<boolean> {
  const have = await nodeEngine(node, 10_000)
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (have) return false;
  await docker(["-H", `unix://${nodeSocket(node)}`, "load", "-q", "-i", tar], {
    timeoutMs: 300_000,
  });
  return true;
}

/** The nodes that may run a WAS task (the spec's placement): the only ones that need the app image. */
export function taskNodes(cfg: SwarmHaConfig, l: Layout): NodeSlot[] {
  return l.nodes.filter((n) => n.role === "worker" || cfg.managers.runTasks);
}

export function nginxConfFor(cfg: SwarmHaConfig, l: Layout): string {
  const eligible = taskNodes(cfg, l);
  return renderNginxConf({ upstreams: eligible.map((n) => ({ host: n.ip, port: cfg.was.port })) });
}

async function startEdge(
  e: EdgeSlot,
  images: LabImages,
  spec: string,
  pair: boolean,
): Promise<void> {
  await docker([
    "run",
    "-d",
    "--name",
    e.name,
    "--hostname",
    e.name,
    ...labels("nginx", spec),
    "--network",
    NETWORK,
    "--ip",
    e.ip,
    // keepalived: VRRP adverts (raw sockets), the VIP and gratuitous ARP, the drain's iptables rule,
    // and its raised scheduling priority (vrrp_priority: SYS_NICE).
    ...(pair
      ? [
          "--cap-add",
          "NET_ADMIN",
          "--cap-add",
          "NET_RAW",
          "--cap-add",
          "NET_BROADCAST",
          "--cap-add",
          "SYS_NICE",
        ]
      : []),
    images.nginx,
  ]);
}

/** The keepalived.conf of one balancer of the lab pair (the same renderer the AWS pair uses). */
export function keepalivedConfFor(e: EdgeSlot, l: Layout): string {
  const peer = l.edges.find((x) => x.name !== e.name)!;
  return renderKeepalivedConf({
    nodeName: e.name,
    role: e.role,
    interface: "eth0",
    selfIp: e.ip,
    peerIp: peer.ip,
    floating: { kind: "vip", address: l.vip! },
  });
}

/** Writes nginx.conf (and, in a pair, keepalived.conf and the notify script) into a balancer and starts it. */
async function configureEdge(e: EdgeSlot, l: Layout, conf: string, log: Log): Promise<void> {
  const running =
    (await dockerRaw(["exec", e.name, "test", "-f", "/run/swarm-ha/ready"])).code === 0;
  const files: [string, string][] = [["/etc/nginx/nginx.conf", conf]];
  if (l.vip) {
    files.push(
      [KEEPALIVED_PATHS.conf, keepalivedConfFor(e, l)],
      [KEEPALIVED_PATHS.notifyScript, renderNotifyScript()],
      [VIP_FILE, `${l.entryIp}\n`],
    );
  }
  const same = await Promise.all(
    files.map(async ([f, c]) => (await dockerRaw(["exec", e.name, "cat", f])).stdout === c),
  );
  // A reload closes the old workers' keep-alive connections: only when the config changed.
  if (running && same.every(Boolean)) {
    log(`  ${e.name}: configuration unchanged`);
    return;
  }
  for (const [f, c] of files) await writeInto(e.name, f, c);
  const t = await dockerRaw(["exec", e.name, "nginx", "-t"]);
  if (t.code !== 0)
    throw new LabError(
      `nginx -t rejected the rendered nginx.conf on ${e.name}: ${t.stderr.trim()}`,
    );
  if (l.vip) {
    // keepalived runs scripts only from root-owned files no one else may write (enable_script_security).
    await docker([
      "exec",
      e.name,
      "sh",
      "-c",
      `chown root:root '${KEEPALIVED_PATHS.notifyScript}' && chmod 0755 '${KEEPALIVED_PATHS.notifyScript}' && chmod 0644 '${KEEPALIVED_PATHS.conf}'`,
    ]);
    const k = await dockerRaw(["exec", e.name, "keepalived", "-t", "-f", KEEPALIVED_PATHS.conf]);
    if (k.code !== 0)
      throw new LabError(
        `keepalived -t rejected the rendered keepalived.conf on ${e.name}: ${(k.stderr || k.stdout).trim().split("\n").slice(-3).join(" ")}`,
      );
  }
  if (running && same.slice(1).every(Boolean))
    await docker(["exec", e.name, "nginx", "-s", "reload"]);
  else if (running)
    await docker(["restart", "-t", "10", e.name]); // keepalived reads its config at start
  else
    await docker([
      "exec",
      e.name,
      "sh",
      "-c",
      "mkdir -p /run/swarm-ha && touch /run/swarm-ha/ready",
    ]);
}

/** Balancers of the lab that hold the floating address now (the VIP on their eth0). */
export async function vipHolders(edges: readonly string[], vip: string): Promise<string[]> {
  const ip = vip.split("/")[0];
  const held = await Promise.all(
    edges.map(async (name) => {
      const r = await dockerRaw(["exec", name, "ip", "-4", "-o", "addr", "show", "dev", "eth0"], {
        timeoutMs: 5000,
      });
      return r.code === 0 && r.stdout.split(/\s+/).some((w) => w.split("/")[0] === ip);
    }),
  );
  return edges.filter((_, i) => held[i]);
}

/** Waits until exactly one balancer holds the VIP; returns it. */
async function waitSingleHolder(l: Layout, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const h = await vipHolders(
      l.edges.map((e) => e.name),
      l.vip!,
    );
    if (h.length === 1) return h[0];
    if (Date.now() > until) {
      throw new LabError(
        `the floating address ${l.vip} is held by ${h.length ? h.join(" and ") : "no balancer"} after ${timeoutMs / 1000} s (exactly one should); see docker logs ${l.edges[0].name}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Starts one node container (a fresh engine); `npm run lab -- replace` reuses it. */
export async function startNode(
  n: NodeSlot,
  images: Pick<LabImages, "node">,
  spec: string,
  flags: string[],
): Promise<void> {
  fs.mkdirSync(nodeApiDir(n.name), { recursive: true, mode: 0o700 });
  await docker([
    "run",
    "-d",
    "--name",
    n.name,
    "--hostname",
    n.name,
    ...labels(n.role, spec),
    "--network",
    NETWORK,
    "--ip",
    n.ip,
    ...flags,
    "-v",
    `${LOG_VOLUME}:${NODE_LOG_DIR}`,
    "-v",
    `${nodeApiDir(n.name)}:/run/lab-api`,
    images.node,
  ]);
}

/** The lab's NFS export, with the same owner and mode as the AWS export (cloud-init): squashed writers own it. */
async function configureNfs(
  exportPath: string,
  clients: string,
  release: DebianRelease,
): Promise<void> {
  await docker([
    "exec",
    NFS,
    "sh",
    "-c",
    `chown 65534:65534 '${exportPath}' && chmod 0775 '${exportPath}'`,
  ]);
  // Debian 13's ganesha 6.5 exits without CAP_SYS_RESOURCE (which this lab cannot grant) unless allowed.
  const conf = renderGaneshaConf(
    { path: exportPath, clients: [clients] },
    { allowIoFlusherFail: release >= 13 },
  );
  const current = await dockerRaw(["exec", NFS, "cat", "/etc/ganesha/ganesha.conf"]);
  if (current.stdout !== conf) {
    await writeInto(NFS, "/etc/ganesha/ganesha.conf", conf);
    if ((await dockerRaw(["exec", NFS, "test", "-f", "/run/swarm-ha/ready"])).code === 0)
      await docker(["restart", "-t", "2", NFS]);
  }
  await docker(["exec", NFS, "sh", "-c", "mkdir -p /run/swarm-ha && touch /run/swarm-ha/ready"]);
}

/**
 * `docker swarm init` on the first manager, then the joins through the rendered scripts. Tokens stay
 * in memory: read from the manager's stdout (once per role), written to the joining node's stdin.
 * Managers join one at a time (each changes the Raft membership), workers all at once.
 */
async function formSwarm(
  managers: readonly NodeSlot[],
  workers: readonly NodeSlot[],
  heartbeatSeconds: number,
  log: Log,
): Promise<void> {
  const [first, ...others] = managers;
  const ids = new Map<NodeSlot, string>();
  const phases: string[] = [];
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const v = await f();
    phases.push(`${what} ${since(t)} s`);
    return v;
  };
  await timed(`engine of ${first.name}`, () => waitEngine(first.name));
  ids.set(
    first,
    await timed("init", () =>
      runScript(
        first.name,
        "swarm-init",
        renderSwarmInit({
          advertiseAddr: first.ip,
          dispatcherHeartbeatSeconds: heartbeatSeconds,
          engineWaitSeconds: 60,
        }),
      ),
    ),
  );
  const token = async (role: "manager" | "worker", needed: boolean) =>
    needed ? runScript(first.name, `token-${role}`, renderJoinTokenRead(role)) : "";
  const [manager, worker] = await timed("join tokens", () =>
    Promise.all([token("manager", others.length > 0), token("worker", workers.length > 0)]),
  );
  const tokens = { manager, worker };
  const join = async (n: NodeSlot) => {
    await waitEngine(n.name);
    ids.set(
      n,
      await runScript(
        n.name,
        "swarm-join",
        renderSwarmJoin({
          role: n.role,
          managerAddr: first.ip,
          advertiseAddr: n.ip,
          engineWaitSeconds: 60,
        }),
        `${tokens[n.role]}\n`,
      ),
    );
  };
  if (others.length)
    await timed(`${others.length} manager join(s) one at a time`, async () => {
      for (const m of others) await join(m);
    });
  if (workers.length)
    await timed(`${workers.length} worker join(s) at once`, () => settleAll(workers.map(join)));
  // Zone labels after the joins, by AWS's placement rule (lab/zones.ts): the WAS spreads over them.
  // One script for all nodes: one script per node, all at once, measured slower while the image
  // loads hold both cores (6 nodes: 15.9 s against 6.7 s; each script costs two execs).
  const zoned = [
    ...managers.map((n, i) => ({ n, zone: labNodeZone("manager", i) })),
    ...workers.map((n, i) => ({ n, zone: labNodeZone("worker", i) })),
  ];
  await timed("zone labels", () =>
    runScript(
      first.name,
      "zone-labels",
      renderNodeLabels({
        nodes: zoned.map(({ n, zone }) => ({ nodeId: ids.get(n)!, zone })),
        engineWaitSeconds: 60,
      }),
    ),
  );
  log(`  swarm: ${phases.join(", ")}`);
}

/**
 * The app image into the engines that may run a task, two at a time (each load is CPU-bound on a
 * 2-core machine), each as soon as its engine answers. Idempotent: a reused lab only checks.
 */
async function loadAppImage(targets: readonly NodeSlot[], app: string, log: Log): Promise<void> {
  const t = performance.now();
  const tar = await appImageTar(app);
  log(
    `  ${path.relative(process.cwd(), tar) || tar} (docker save, cached per image tag): ${since(t)} s`,
  );
  const queue = [...targets];
  const loaded: string[] = [];
  const one = async () => {
    for (let n = queue.shift(); n; n = queue.shift()) {
      await waitEngine(n.name);
      if (await loadApp(n.name, app, tar)) loaded.push(n.name);
    }
  };
  await settleAll([one(), one()]);
  log(`  loaded into ${loaded.length ? loaded.join(", ") : "none (every engine had it)"}`);
}

/**
 * Alongside each other: the NFS export, the app image into the task nodes, and the swarm. Each
 * step is awaited (settleAll) before a failure cleans up, so nothing is still being created while
 * the lab is removed.
 */
async function prepareNodes(
  cfg: SwarmHaConfig,
  l: Layout,
  images: Pick<LabImages, "app" | "release">,
  timings: Record<string, number>,
  log: Log,
): Promise<void> {
  const app = images.app;
  const managers = l.nodes.filter((n) => n.role === "manager");
  const workers = l.nodes.filter((n) => n.role === "worker");
  const targets = taskNodes(cfg, l);
  const skipped = l.nodes.length - targets.length;
  await settleAll([
    step(
      timings,
      log,
      `NFS export ${cfg.nfs.exportPath} (nfs-ganesha, clients ${l.nodeRange})`,
      () => configureNfs(cfg.nfs.exportPath, l.nodeRange, images.release),
    ),
    step(
      timings,
      log,
      `load ${app} into the ${targets.length} node engine(s) that may run a task${skipped ? ` (not the ${skipped} manager(s): they run no task)` : ""} (docker save, then docker load through each node's socket)`,
      () => loadAppImage(targets, app, log),
    ),
    step(
      timings,
      log,
      `swarm: init on ${managers[0].name} (heartbeat ${cfg.swarm.dispatcherHeartbeatSeconds}s), join ${l.nodes.length - 1} node(s), zone labels (renderNodeLabels)`,
      () => formSwarm(managers, workers, cfg.swarm.dispatcherHeartbeatSeconds, log),
    ),
  ]);
}

/** nginx.conf (and in a pair keepalived.conf) into every balancer, then one holder of the floating address. */
async function configureBalancers(
  cfg: SwarmHaConfig,
  l: Layout,
  timings: Record<string, number>,
  log: Log,
): Promise<void> {
  await step(
    timings,
    log,
    `nginx.conf (renderNginxConf over ${taskNodes(cfg, l).length} nodes), nginx -t${l.vip ? ", keepalived.conf (renderKeepalivedConf), keepalived -t" : ""}, start ${l.edges.length} nginx`,
    async () => {
      await settleAll(l.edges.map((e) => configureEdge(e, l, nginxConfFor(cfg, l), log)));
    },
  );
  if (l.vip) {
    await step(timings, log, `floating address ${l.vip}: exactly one holder (VRRP)`, async () => {
      const holder = await waitSingleHolder(l, 30_000);
      log(`  ${holder} holds ${l.entryIp}`);
    });
  }
}

/** A new lab: its network and log volume, then every container (nodes, NFS, balancers) at once. */
async function createLab(
  l: Layout,
  cfg: SwarmHaConfig,
  images: LabImages,
  spec: string,
  flags: string[],
  timings: Record<string, number>,
  log: Log,
): Promise<void> {
  const managers = l.nodes.filter((n) => n.role === "manager");
  const workers = l.nodes.filter((n) => n.role === "worker");
  await step(timings, log, `network ${NETWORK} ${l.subnet} and log volume`, async () => {
    const r = await dockerRaw([
      "network",
      "create",
      "--label",
      `${LAB_LABEL}=1`,
      "--subnet",
      l.subnet,
      "--gateway",
      l.gateway,
      NETWORK,
    ]);
    if (r.code !== 0) {
      throw new LabError(
        `creating network ${NETWORK} (${l.subnet}) failed: ${r.stderr.trim()}; if the subnet overlaps another network, pick one with --subnet`,
      );
    }
    await docker(["volume", "create", "--label", `${LAB_LABEL}=1`, LOG_VOLUME]);
  });
  await step(
    timings,
    log,
    `containers: ${managers.length} manager(s), ${workers.length} worker(s), nfs, ${l.edges.length} nginx`,
    async () => {
      await settleAll([
        ...l.nodes.map((n) => startNode(n, images, spec, flags)),
        docker([
          "run",
          "-d",
          "--name",
          NFS,
          "--hostname",
          NFS,
          ...labels("nfs", spec),
          "--network",
          NETWORK,
          "--ip",
          l.nfsIp,
          // ganesha's VFS backend opens files by handle (open_by_handle_at).
          "--cap-add",
          "DAC_READ_SEARCH",
          "--cap-add",
          "SYS_ADMIN",
          "-v",
          `${LOG_VOLUME}:${cfg.nfs.exportPath}`,
          images.nfs,
        ]),
        ...l.edges.map((e) => startEdge(e, images, spec, l.vip !== undefined)),
      ]);
    },
  );
}

/**
 * Brings the lab up (or reuses a running one built from the same images and flags). On failure it
 * removes everything labelled swarm-ha.lab=1, unless keepOnFailure.
 */
export async function up(o: LabOptions, log: Log): Promise<LabInfo> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const cfg = labConfig(o);
  const l = layout(o);
  const engine = await step(timings, log, "check the Docker engine", async () => {
    const e = await checkEngine();
    log(`  engine ${e.serverVersion}, cgroup v${e.cgroupVersion}`);
    return e;
  });
  const images = await step(timings, log, "images (cached by content hash)", () =>
    ensureImages(o.baseImage, log, o.mirror, o.debian),
  );
  const flags = dindFlags(engine.cgroupVersion, o.privileged);
  const spec = createHash("sha256")
    .update(
      JSON.stringify({
        images: { ...images, built: [] },
        l,
        flags,
        exportPath: cfg.nfs.exportPath,
      }),
    )
    .digest("hex")
    .slice(0, 12);
  const managers = l.nodes.filter((n) => n.role === "manager");
  const expected = [...l.nodes.map((n) => n.name), ...l.edges.map((e) => e.name), NFS].sort();

  const existing = await labContainers();
  const reusable =
    existing.length === expected.length &&
    existing.every((c) => c.spec === spec && c.state === "running") &&
    existing
      .map((c) => c.name)
      .sort()
      .join() === expected.join();
  let created = false;
  // Ctrl-C during the bring-up: remove what was created (base/signals.ts; the drill registers its own heal).
  const unregister = signalGuard().register({
    announce: (sig) =>
      log(
        `signal: ${sig}: ${o.keepOnFailure ? "leaving the half-built lab as is (--keep-on-failure)" : "removing the half-built lab"} before exiting`,
      ),
    heal: () => (o.keepOnFailure ? Promise.resolve() : down(log)),
  });
  try {
    if (reusable) {
      log(`reusing the running lab (same images and flags)`);
    } else {
      if (existing.length)
        await step(timings, log, "remove the previous lab (different images or flags)", () =>
          down(log),
        );
      created = true;
      await createLab(l, cfg, images, spec, flags, timings, log);
    }

    await prepareNodes(cfg, l, images, timings, log);

    const observer = new LabObserver(managers.map((m) => m.name));
    const serviceSpec = wasSpec(cfg, images.app);
    await step(
      timings,
      log,
      `deploy service ${SERVICE}: ${cfg.was.replicas} replicas, restart delay ${cfg.swarm.taskRestartDelaySeconds}s (renderServiceSpec)`,
      async () => {
        const changed = await deployService(managers[0].name, serviceSpec);
        if (!changed) log("  service spec unchanged");
        else await waitRolledOut(managers[0].name, SERVICE, 180_000);
        const running = await waitConverged(observer, managers[0].name, 180_000);
        log(`  ${running}/${cfg.was.replicas} tasks running on Ready nodes`);
      },
    );

    // After the deploy, not alongside the loads: configured alongside, the balancers saved nothing
    // measurable (the loads hold both cores) and one holder of the address took 4.6-6.4 s, not 1.3 s.
    await configureBalancers(cfg, l, timings, log);

    const url = `http://${l.entryIp}/`;
    await step(timings, log, `requests through nginx answered by every replica`, async () => {
      const served = await waitServedByAll(url, observer, 60_000);
      log(`  answered by ${served.join(", ")}`);
    });
    unregister();
    const totalSeconds = Number(since(started));
    return {
      layout: l,
      config: cfg,
      images,
      url,
      managers: managers.map((m) => m.name),
      serviceSpec,
      timings,
      totalSeconds,
      reused: !created,
    };
  } catch (e) {
    unregister();
    if (signalGuard().interrupted) throw e; // the signal's heal removes the lab
    if (o.keepOnFailure) {
      const left = await labContainers().catch(() => []);
      log(
        `bring-up failed; --keep-on-failure left: ${left.map((c) => c.name).join(", ")}, network ${NETWORK}, volume ${LOG_VOLUME} (remove with npm run lab -- down)`,
      );
    } else {
      log("bring-up failed; removing what the lab created");
      try {
        await down(log);
      } catch (e2) {
        log(
          `could not remove everything (${e2 instanceof Error ? e2.message : e2}); run npm run lab -- down`,
        );
      }
    }
    throw e;
  }
}
