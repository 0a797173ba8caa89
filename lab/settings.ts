/**
 * The lab's command line: flags parsed and validated before anything is created, turned into the
 * same validated configuration the AWS program uses (config/schema.ts parseConfig), plus the lab's
 * own layout (network, addresses, names).
 */
import { readArgv, type FlagSpec } from "../base/argv";
import { parseCidr } from "../base/ipv4";
import { checkMirrorUrl } from "./aptMirror";
import { SCENARIO_NAMES, type ScenarioName } from "../chaos/scenarios/matrix";
import { WAS_SERVICE_NAME } from "../renderers/serviceSpec";
import { ConfigError, parseConfig, SwarmHaConfig } from "../config/schema";
import { LabError } from "./docker";

export const LAB_LABEL = "swarm-ha.lab";
export const ROLE_LABEL = "swarm-ha.role";
export const NETWORK = "swarm-ha-lab";
export const LOG_VOLUME = "swarm-ha-lab-was-logs";
/** Where each node container sees the export's backing volume (the WAS bind-mounts it). */
export const NODE_LOG_DIR = "/srv/was-logs";
/** The WAS service name (renderers/serviceSpec.ts). */
export const SERVICE = WAS_SERVICE_NAME;
export const APP_IMAGE_REPO = "swarm-ha/was";

/**
 * The Debian releases the lab's images can be built on. 13 (trixie) is the default: its engine
 * (docker.io 26.1) and keepalived (2.3) are the lines the AWS nodes run; 12 (bookworm, engine 20.10,
 * keepalived 2.2) stays selectable with `--debian 12`. What the AWS image installs: lab/README.md "Lab and AWS versions".
 */
export const DEBIAN_RELEASES = [12, 13] as const;
export type DebianRelease = (typeof DEBIAN_RELEASES)[number];
export const DEFAULT_DEBIAN_RELEASE: DebianRelease = 13;
export const DEBIAN_CODENAME: Readonly<Record<DebianRelease, string>> = {
  12: "bookworm",
  13: "trixie",
};

export type Command = "up" | "down" | "drill" | "status" | "replace" | "matrix";
const COMMANDS: readonly Command[] = ["up", "down", "drill", "status", "replace", "matrix"];

/** The matrix's lab: prod's shape (3 managers that only manage, 5 workers over 3 zones, the pair). */
export const MATRIX_LAB = {
  managers: 3,
  workers: 5,
  managersRunTasks: false,
  connections: 200,
} as const;

export interface LabOptions {
  readonly command: Command;
  readonly managers: 1 | 3;
  readonly workers: number;
  readonly replicas?: number;
  /** nginx balancers: 2 = a keepalived pair behind a floating address (default), 1 = one balancer. */
  readonly edge: 1 | 2;
  /** Image every lab Dockerfile starts FROM; undefined: debian:bookworm-slim if present, else built offline. */
  readonly baseImage?: string;
  /** Debian mirror the offline base is bootstrapped from; undefined: this machine's apt sources, else deb.debian.org. */
  readonly mirror?: string;
  /** Debian release of every lab image (--debian; default 13). */
  readonly debian: DebianRelease;
  readonly subnet: string;
  readonly drill: boolean;
  readonly baseline: boolean;
  readonly connections: number;
  readonly reportDir: string;
  readonly keepOnFailure: boolean;
  /** Give node containers --privileged (cgroup v2 hosts); undefined: decided from the engine. */
  readonly privileged?: boolean;
  /** `replace` only: the node container to replace, e.g. swarm-ha-worker-2. */
  readonly node?: string;
  /** Whether managers may run WAS tasks; undefined: the stack default (true). `matrix`: false, as in prod. */
  readonly managersRunTasks?: boolean;
  /** `matrix` only: the whole matrix this many times in a row (default 1). */
  readonly passes?: number;
  /** `matrix` only: run only these scenarios (default all, in order). */
  readonly only?: readonly ScenarioName[];
}

export const USAGE = `usage: npm run lab -- [up|down|drill|status|replace NODE|matrix] [flags]
  up (default)        build images, start the lab, run the drill, write lab-report/
  down                remove every container, network and volume labelled ${LAB_LABEL}=1
  drill               run the drill against a running lab
  status              show the lab's containers and the swarm's nodes and tasks
  replace NODE        remove a swarm node container for good (engine state too) and start a fresh one
                      that rejoins through the AWS join/prune scripts (NODE: swarm-ha-worker-2 or
                      worker-2, swarm-ha-manager-N or manager-N); exit 3 when refused
  matrix              the failure matrix: brings up (or reuses) a prod-shaped lab (3 managers that
                      run no task, 5 workers over zones az-a/az-b/az-c, the balancer pair), runs
                      ${SCENARIO_NAMES.slice(0, 5).join(", ")},
                      ${SCENARIO_NAMES.slice(5).join(", ")}
                      under load with a steady-state check between them; writes matrix.json,
                      matrix.md and matrix-<scenario>.svg; exit 0 only if every scenario passed
flags (matrix):
  --connections N     keep-alive connections through the floating address (default ${MATRIX_LAB.connections})
  --passes N          run the whole matrix N times in a row, 1 to 20 (default 1)
  --only a,b,...      only these scenarios (names above)
  --baseline          also run worker-stop and worker-kill with Docker's default timings
  --workers N         workers (default ${MATRIX_LAB.workers}: the fewest that leave a slot per replica after
                      losing the zone with the most of them)
  --report-dir DIR    where matrix.json/md and the SVGs go (default lab-report)
flags (up/drill):
  --managers 1|3      swarm managers (default 1)
  --workers N         swarm workers, 1 to 100 (default 3)
  --replicas N        WAS replicas (default 3; must leave one free node)
  --edge 1|2          nginx balancers (default 2: a keepalived pair behind a floating address)
  --debian 12|13      Debian release of every lab image (env SWARM_HA_DEBIAN; default ${DEFAULT_DEBIAN_RELEASE}:
                      docker.io 26.1, keepalived 2.3, nginx 1.26; 12: docker.io 20.10, keepalived 2.2, nginx 1.22)
  --base-image IMG    base image of every lab image (env SWARM_HA_BASE_IMAGE; default debian:trixie-slim
                      if present locally, else swarm-ha/base:trixie built with debootstrap; for --debian 12
                      the same with bookworm); an explicit image must be of the --debian release
  --mirror URL        Debian mirror for the offline base image (default: the one this machine's apt
                      sources name, else http://deb.debian.org/debian)
  --subnet CIDR       the lab network, a /24 (default 172.28.5.0/24)
  --connections N     concurrent load connections during the drill (default 50)
  --no-drill          bring the lab up only
  --no-baseline       skip the second drill with Docker's default timings
  --report-dir DIR    where report.json/md and timeline.svg go (default lab-report)
  --privileged        run node containers --privileged (default: only on cgroup v2 engines)
  --keep-on-failure   leave what a failed bring-up created, for debugging`;

function flagError(flag: string, reason: string): LabError {
  return new LabError(`${flag}: ${reason} (see npm run lab -- --help)`);
}

/**
 * The node `replace` may target: a swarm node container name (swarm-ha-manager-N, swarm-ha-worker-N,
 * or the short manager-N / worker-N). Balancers and the NFS server are not swarm nodes.
 */
export function parseReplaceTarget(v: string | undefined): string {
  const name = v && /^(manager|worker|nginx)-\d+$|^nfs$/.test(v) ? `swarm-ha-${v}` : (v ?? "");
  if (/^swarm-ha-nginx-\d+$/.test(name)) {
    throw flagError(
      "replace",
      `${name} is a balancer, not a swarm node; the balancer drill covers it (npm run chaos -- --lab --target edge)`,
    );
  }
  if (name === "swarm-ha-nfs")
    throw flagError(
      "replace",
      `${name} is the NFS log server, not a swarm node; only swarm-ha-manager-N and swarm-ha-worker-N can be replaced`,
    );
  if (!/^swarm-ha-(manager|worker)-[1-9]\d*$/.test(name)) {
    throw flagError(
      "replace",
      `needs a swarm node name like swarm-ha-worker-2 or worker-2 (got ${JSON.stringify(v ?? "")})`,
    );
  }
  return name;
}

function intFlag(flag: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^\d+$/.test(v))
    throw flagError(
      flag,
      `needs a whole number (got ${v === undefined ? "nothing" : JSON.stringify(v)})`,
    );
  const n = Number(v);
  if (n < min || n > max) throw flagError(flag, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

/** The lab's flags (util.parseArgs through base/argv.ts); each is judged below, in the order given. */
const LAB_FLAGS = {
  help: { type: "boolean", short: "h" },
  managers: { type: "string" },
  workers: { type: "string" },
  edge: { type: "string" },
  replicas: { type: "string" },
  "base-image": { type: "string" },
  mirror: { type: "string" },
  debian: { type: "string" },
  subnet: { type: "string" },
  connections: { type: "string" },
  "report-dir": { type: "string" },
  "no-drill": { type: "boolean" },
  "no-baseline": { type: "boolean" },
  baseline: { type: "boolean" },
  passes: { type: "string" },
  only: { type: "string" },
  "keep-on-failure": { type: "boolean" },
  privileged: { type: "boolean" },
} as const satisfies FlagSpec;

/** The lab's flags as parsed so far (parseArgs), before the command's own checks. */
interface ParsedFlags {
  command: Command;
  managers: 1 | 3;
  workers: number;
  replicas?: number;
  edge: 1 | 2;
  baseImage?: string;
  mirror?: string;
  debian: DebianRelease;
  subnet: string;
  drill: boolean;
  baseline: boolean;
  connections: number;
  reportDir: string;
  keepOnFailure: boolean;
  privileged?: boolean;
  node?: string;
  managersGiven?: 1 | 3;
  workersGiven?: number;
  connectionsGiven?: number;
  baselineGiven?: boolean;
  passes?: number;
  only?: ScenarioName[];
}

/** One flag (`name` without the dashes) into `p`; "help" for --help. Throws a LabError naming the flag. */
function applyFlag(p: ParsedFlags, name: string, v: string | undefined): "help" | undefined {
  switch (name) {
    case "help":
      return "help";
    case "managers": {
      if (v !== "1" && v !== "3")
        throw flagError(
          "--managers",
          `must be 1 or 3 (got ${JSON.stringify(v ?? "")}); 3 keeps a Raft quorum when one stops`,
        );
      p.managers = p.managersGiven = v === "1" ? 1 : 3;
      break;
    }
    case "workers":
      p.workers = p.workersGiven = intFlag("--workers", v, 1, 100);
      break;
    case "edge": {
      if (v !== "1" && v !== "2")
        throw flagError(
          "--edge",
          `must be 1 or 2 (got ${JSON.stringify(v ?? "")}); 2 runs the balancer pair with a floating address`,
        );
      p.edge = v === "1" ? 1 : 2;
      break;
    }
    case "replicas":
      p.replicas = intFlag("--replicas", v, 1, 100);
      break;
    case "base-image": {
      if (!v || !/^[a-z0-9]([a-z0-9._\/:@-]*[a-z0-9])?$/.test(v))
        throw flagError(
          "--base-image",
          `needs an image reference like debian:bookworm-slim (got ${JSON.stringify(v ?? "")})`,
        );
      p.baseImage = v;
      break;
    }
    case "mirror": {
      const checked = checkMirrorUrl(v ?? "");
      if ("reason" in checked) throw flagError("--mirror", checked.reason);
      p.mirror = checked.url;
      break;
    }
    case "debian":
      p.debian = parseDebian("--debian", v);
      break;
    case "subnet": {
      const c = parseCidr(v ?? "");
      if (!c || c.prefix !== 24 || (c.base & 0xff) !== 0)
        throw flagError(
          "--subnet",
          `must be a /24 network like 172.28.5.0/24 (got ${JSON.stringify(v ?? "")})`,
        );
      p.subnet = v!;
      break;
    }
    case "connections":
      p.connections = p.connectionsGiven = intFlag("--connections", v, 1, 1000);
      break;
    case "report-dir": {
      if (!v) throw flagError("--report-dir", "needs a directory");
      p.reportDir = v;
      break;
    }
    case "no-drill":
      p.drill = false;
      break;
    case "no-baseline":
      p.baseline = p.baselineGiven = false;
      break;
    case "baseline":
      p.baseline = p.baselineGiven = true;
      break;
    case "passes":
      p.passes = intFlag("--passes", v, 1, 20);
      break;
    case "only":
      p.only = parseOnly(v);
      break;
    case "keep-on-failure":
      p.keepOnFailure = true;
      break;
    case "privileged":
      p.privileged = true;
      break;
  }
  return undefined;
}

/** Parses argv (after `npm run lab --`). Throws a LabError naming the flag and the fix. */
export function parseArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): LabOptions | "help" {
  const p: ParsedFlags = {
    command: "up",
    managers: 1,
    workers: 3,
    edge: 2,
    baseImage: env.SWARM_HA_BASE_IMAGE?.trim() || undefined,
    debian: env.SWARM_HA_DEBIAN?.trim()
      ? parseDebian("SWARM_HA_DEBIAN", env.SWARM_HA_DEBIAN.trim())
      : DEFAULT_DEBIAN_RELEASE,
    subnet: "172.28.5.0/24",
    drill: true,
    baseline: true,
    connections: 50,
    reportDir: "lab-report",
    keepOnFailure: false,
  };
  const words = readArgv(argv, LAB_FLAGS);
  let positional = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.kind !== "flag") {
      if (
        w.kind === "word" &&
        positional === 0 &&
        (COMMANDS as readonly string[]).includes(w.raw)
      ) {
        p.command = w.raw as Command;
        positional++;
        if (p.command === "replace") {
          const next = words[i + 1];
          const target = next?.kind === "word" && !next.raw.startsWith("-") ? next.raw : undefined;
          if (target !== undefined) i++;
          p.node = parseReplaceTarget(target);
        }
        continue;
      }
      throw flagError(
        w.raw,
        w.raw.startsWith("-")
          ? "unknown flag"
          : "unknown command; use up, down, drill, status, replace or matrix",
      );
    }
    if (applyFlag(p, w.name, w.value) === "help") return "help";
  }
  return finishOptions(p);
}

/** The command's own checks on the parsed flags, and the options it runs with. */
function finishOptions(p: ParsedFlags): LabOptions {
  if (p.command !== "matrix" && (p.passes !== undefined || p.only !== undefined)) {
    throw flagError(
      p.passes !== undefined ? "--passes" : "--only",
      "applies to the matrix only: npm run lab -- matrix ...",
    );
  }
  const common = {
    replicas: p.replicas,
    edge: p.edge,
    baseImage: p.baseImage,
    mirror: p.mirror,
    debian: p.debian,
    subnet: p.subnet,
    reportDir: p.reportDir,
    keepOnFailure: p.keepOnFailure,
    privileged: p.privileged,
  };
  if (p.command === "matrix") {
    if (p.managersGiven === 1)
      throw flagError(
        "--managers",
        "the matrix needs 3 managers (leader-kill and az-loss keep a Raft quorum only with 3); drop --managers",
      );
    if (p.edge === 1)
      throw flagError(
        "--edge",
        "the matrix needs the balancer pair (edge-kill, az-loss of the holder's zone); drop --edge",
      );
    const m = matrixOptions(
      { command: p.command, managers: 3, workers: p.workersGiven ?? MATRIX_LAB.workers, ...common },
      {
        connectionsGiven: p.connectionsGiven,
        baselineGiven: p.baselineGiven,
        passes: p.passes,
        only: p.only,
      },
    );
    labConfig(m);
    return m;
  }
  const opts: LabOptions = {
    command: p.command,
    managers: p.managers,
    workers: p.workers,
    ...common,
    drill: p.drill,
    baseline: p.baseline,
    connections: p.connections,
    ...(p.node ? { node: p.node } : {}),
  };
  if (p.command === "up" || p.command === "drill") labConfig(opts); // validates replicas against nodes now
  return opts;
}

/** `--debian 12|13` (or SWARM_HA_DEBIAN): a Debian release the lab's images can be built on. */
function parseDebian(flag: string, v: string | undefined): DebianRelease {
  const n = Number(v);
  if (!(DEBIAN_RELEASES as readonly number[]).includes(n) || !/^\d+$/.test(v ?? "")) {
    throw flagError(
      flag,
      `must be ${DEBIAN_RELEASES.join(" or ")} (got ${JSON.stringify(v ?? "")}); ${DEFAULT_DEBIAN_RELEASE} is the default`,
    );
  }
  return n as DebianRelease;
}

/** `--only a,b`: scenario names, each known, none twice. */
function parseOnly(v: string | undefined): ScenarioName[] {
  const names = (v ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw flagError(
      "--only",
      `needs scenario names separated by commas, e.g. --only worker-kill,edge-kill (names: ${SCENARIO_NAMES.join(", ")})`,
    );
  for (const n of names) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(n))
      throw flagError(
        "--only",
        `unknown scenario ${JSON.stringify(n)}; the scenarios are ${SCENARIO_NAMES.join(", ")}`,
      );
  }
  if (new Set(names).size !== names.length)
    throw flagError("--only", `names a scenario twice (${names.join(",")}); name each once`);
  return names as ScenarioName[];
}

/** The matrix's options: its lab shape and defaults (200 connections, no baseline unless asked). */
function matrixOptions(
  base: Omit<LabOptions, "drill" | "baseline" | "connections">,
  f: { connectionsGiven?: number; baselineGiven?: boolean; passes?: number; only?: ScenarioName[] },
): LabOptions {
  return {
    ...base,
    drill: false,
    baseline: f.baselineGiven ?? false,
    connections: f.connectionsGiven ?? MATRIX_LAB.connections,
    managersRunTasks: MATRIX_LAB.managersRunTasks,
    passes: f.passes ?? 1,
    ...(f.only ? { only: f.only } : {}),
  };
}

const FLAG_OF_KEY: Record<string, string> = {
  managerCount: "--managers",
  workerCount: "--workers",
  wasReplicas: "--replicas",
};

/**
 * The stack configuration the lab runs with: the AWS defaults (config/schema.ts) for everything the
 * lab shares (heartbeat, restart delay, port, health path, replicas, export path), with lab-only
 * values for keys that mean nothing locally.
 */
export function labConfig(
  o: Pick<LabOptions, "managers" | "workers" | "replicas"> &
    Partial<Pick<LabOptions, "managersRunTasks">>,
  overrides: Record<string, unknown> = {},
): SwarmHaConfig {
  try {
    return parseConfig({
      // No SSH in the lab, but the schema requires a source SSH could come from (it refuses loopback): a documentation address (RFC 5737).
      adminCidr: "192.0.2.1/32",
      managerCount: o.managers,
      workerCount: o.workers,
      ...(o.replicas !== undefined ? { wasReplicas: o.replicas } : {}),
      ...(o.managersRunTasks !== undefined ? { managersRunTasks: o.managersRunTasks } : {}),
      ...overrides,
    });
  } catch (e) {
    if (e instanceof ConfigError && FLAG_OF_KEY[e.key]) {
      const asFlags = e.reason.replace(
        /`pulumi config set (wasReplicas|workerCount) (\S+)`/g,
        "$1 $2",
      );
      throw flagError(
        FLAG_OF_KEY[e.key],
        asFlags.replace(/wasReplicas/g, "--replicas").replace(/workerCount/g, "--workers"),
      );
    }
    throw e;
  }
}

export interface NodeSlot {
  readonly name: string;
  readonly role: "manager" | "worker";
  readonly ip: string;
}

/** One nginx balancer container. */
export interface EdgeSlot {
  readonly name: string;
  readonly ip: string;
  /** keepalived role: the primary wins the first election. */
  readonly role: "primary" | "standby";
}

export interface Layout {
  readonly subnet: string;
  readonly gateway: string;
  /** The first balancer's own address (outside the NFS client range: the NFS proof's outsider). */
  readonly nginxIp: string;
  /** The balancers: one, or the keepalived pair. */
  readonly edges: readonly EdgeSlot[];
  /** The entry point: the pair's floating address (VIP), or the single balancer's address. */
  readonly entryIp: string;
  /** The pair's floating address with its prefix (keepalived virtual_ipaddress); undefined for one balancer. */
  readonly vip?: string;
  readonly nfsIp: string;
  /** Addresses of swarm nodes only: the NFS export's only clients. */
  readonly nodeRange: string;
  readonly nodes: readonly NodeSlot[];
}

/** Fixed addresses on the lab /24: nodes in the upper half (the export's client range), the rest below. */
export function layout(
  o: Pick<LabOptions, "subnet" | "managers" | "workers"> & Partial<Pick<LabOptions, "edge">>,
): Layout {
  const prefix = o.subnet.split(".").slice(0, 3).join(".");
  const nodes: NodeSlot[] = [];
  for (let i = 1; i <= o.managers; i++)
    nodes.push({ name: `swarm-ha-manager-${i}`, role: "manager", ip: `${prefix}.${129 + i}` });
  for (let i = 1; i <= o.workers; i++)
    nodes.push({ name: `swarm-ha-worker-${i}`, role: "worker", ip: `${prefix}.${139 + i}` });
  const edgeCount = o.edge ?? 2;
  // Balancers and the floating address sit in the lower half, outside the NFS client range.
  const edges: EdgeSlot[] = Array.from({ length: edgeCount }, (_, i) => ({
    name: `swarm-ha-nginx-${i + 1}`,
    ip: `${prefix}.${10 + i}`,
    role: i === 0 ? ("primary" as const) : ("standby" as const),
  }));
  const pair = edgeCount === 2;
  return {
    subnet: o.subnet,
    gateway: `${prefix}.1`,
    nginxIp: `${prefix}.10`,
    edges,
    entryIp: pair ? `${prefix}.100` : `${prefix}.10`,
    ...(pair ? { vip: `${prefix}.100/24` } : {}),
    nfsIp: `${prefix}.5`,
    nodeRange: `${prefix}.128/25`,
    nodes,
  };
}
