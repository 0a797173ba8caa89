/**
 * The stack configuration: every key, its type, default and meaning, in one table.
 *
 * This table is the single source of truth. `Pulumi.yaml`'s `config:` block and the README's
 * config reference are generated from it (`npm run docs:config`), and a test fails when either
 * drifts. `parseConfig` turns raw values into a validated `SwarmHaConfig` without touching Pulumi,
 * so the same checks run in unit tests, in the program and in the lab CLI.
 */
import { parseCidr } from "../base/ipv4";
import { DEFAULT_UBUNTU_RELEASE, UBUNTU_RELEASES, type UbuntuRelease } from "../base/ubuntu";

import { createPrivateKey } from "node:crypto";
import * as posixPath from "node:path/posix";
import { MIN_WAS_REPLICAS, nodesPerZone, reservedPorts, SERVICE_OWNED_ENV, swarmNodeName } from "./topology";

/**
 * "number" is a decimal number of seconds (e.g. 0.5). Pulumi's project schema has no number type
 * (string, integer, boolean, array), so Pulumi.yaml declares such a key as a string and
 * `parseConfig` checks the number.
 */
export type ConfigType = "string" | "integer" | "number" | "boolean" | "array";

export interface ConfigKey {
  readonly key: string;
  readonly type: ConfigType;
  readonly description: string;
  /** Omitted for keys that must be set per stack. */
  readonly default?: string | number | boolean | readonly string[];
  /** Set with `pulumi config set --secret`; never printed. */
  readonly secret?: boolean;
}

export const DEFAULT_INSTANCE_FAMILIES = ["t3", "t3a", "m6i", "m7i", "c6i", "c7i"] as const;

export const CONFIG_KEYS: readonly ConfigKey[] = [
  { key: "vpcCidr", type: "string", default: "10.42.0.0/16", description: "IPv4 CIDR of the VPC (a /16 to /24); subnets are carved from it." },
  { key: "availabilityZones", type: "integer", default: 2, description: "How many availability zones to spread subnets and nodes over (1 to 3)." },
  { key: "surviveAzLoss", type: "boolean", default: false, description: "Require the stack to survive the loss of a whole availability zone: two or more zones, a manager quorum, a balancer and wasReplicas eligible nodes left after losing the zone with the most eligible nodes (placement: stacks/topology.ts)." },
  { key: "adminCidr", type: "string", description: "Source CIDR allowed to SSH to the nodes (where `pulumi up` runs). Required; 0.0.0.0/0 is refused, and so is a range wider than /16 unless allowWideAdminCidr is true." },
  { key: "allowWideAdminCidr", type: "boolean", default: false, description: "Accept an adminCidr wider than /16 (e.g. a corporate VPN's /8). The policy pack's no-public-cluster-ports flags such a range on SSH too unless its minIpv4PrefixLength setting is lowered." },
  { key: "sshPrivateKey", type: "string", default: "", secret: true, description: "RSA or ED25519 private key for the nodes, OpenSSH or PEM, without a passphrase (EC2 key pairs take no other type); set it with `pulumi config set --secret sshPrivateKey < key`, a plain value is refused. Empty: an ED25519 key pair is generated with @pulumi/tls and exported as a secret." },
  { key: "sshUser", type: "string", default: "ubuntu", description: "Login user of the Ubuntu AMI." },
  { key: "ubuntuRelease", type: "string", default: DEFAULT_UBUNTU_RELEASE, description: `Ubuntu LTS release of every instance's AMI (Canonical's newest amd64 gp3 server build): ${UBUNTU_RELEASES.join(" or ")}. Running instances keep their AMI (the program ignores AMI changes); a changed release reaches instances as they are replaced.` },
  { key: "instanceFamilies", type: "array", default: [...DEFAULT_INSTANCE_FAMILIES], description: "Instance families any instance type must belong to." },
  { key: "managerCount", type: "integer", default: 1, description: "Swarm managers: 1, 3 or 5 (an odd count keeps a Raft quorum)." },
  { key: "managerInstanceType", type: "string", default: "t3.small", description: "EC2 instance type of the managers." },
  { key: "managersRunTasks", type: "boolean", default: true, description: "Whether managers may run WAS tasks (they are the spare slots that let a lost worker's replica be restored)." },
  { key: "workerCount", type: "integer", default: 3, description: "Swarm workers (1 to 100)." },
  { key: "workerInstanceType", type: "string", default: "t3.small", description: "EC2 instance type of the workers." },
  { key: "encryptOverlay", type: "boolean", default: false, description: "Encrypt the WAS overlay network (IPsec ESP between nodes)." },
  { key: "dispatcherHeartbeatSeconds", type: "number", default: 0.6, description: "Swarm dispatcher heartbeat in seconds, 0.5 to 60, fractions allowed. A lost node is marked Down 3 x (heartbeat ± 0.5 s) after its last beat (0.6: 0.3 to 3.3 s); swarm draws each period with a fixed ±0.5 s jitter, so at 0.5 a drawn period can be near zero and a node must beat again within twice its draw. 0.6 keeps every draw at 0.1 s or more and showed no false Down in the lab, idle, under 200 connections and at load average 12 (README \"Restore speed\")." },
  { key: "nfsInstanceType", type: "string", default: "t3.micro", description: "EC2 instance type of the NFS log server." },
  { key: "nfsExportPath", type: "string", default: "/srv/nfs/was-logs", description: "Directory the NFS server exports read-write for the WAS logs (it is chowned to nobody). Must be a dedicated directory below /srv/, e.g. /srv/nfs/was-logs; never a system directory." },
  { key: "edgeNodes", type: "integer", default: 1, description: "nginx balancers in front of the swarm: 1, or 2 for a primary/standby pair." },
  { key: "edgeInstanceType", type: "string", default: "t3.micro", description: "EC2 instance type of the nginx balancers." },
  { key: "wasImage", type: "string", default: "", description: "Image of the WAS service. Empty: the sample application (app/server.js) runs on wasSampleBaseImage, delivered as a swarm config (no registry needed)." },
  { key: "wasSampleBaseImage", type: "string", default: "node:22-alpine", description: "Node.js image the sample application runs on when wasImage is empty." },
  { key: "wasReplicas", type: "integer", default: 3, description: "WAS replicas: at least 2 (the policy pack's minimum), and one free slot left so a lost node's replica can be restored." },
  { key: "wasPort", type: "integer", default: 8080, description: `Port the WAS container listens on, also published on each node (host mode) for nginx: 1024 to 65535, and none the topology already uses (${[...reservedPorts().keys()].filter((p) => p >= 1024).join(", ")}).` },
  { key: "wasHealthPath", type: "string", default: "/healthz", description: "HTTP path of the WAS health check." },
  { key: "wasEnv", type: "array", default: [], description: `Extra environment for the WAS containers, as KEY=VALUE strings; ${SERVICE_OWNED_ENV.join(", ")} are set by the service and refused here.` },
  { key: "taskRestartDelaySeconds", type: "integer", default: 0, description: "Delay before swarm restarts or reschedules a failed WAS task (it also delays the replacement of a task lost with its node). 0: at once; a crash-looping task then restarts as fast as containers start (swarm has no back-off), so raise it for an image that may crash-loop." },
  { key: "chaosEnabled", type: "boolean", default: false, description: "Run the chaos drill during `pulumi up`, after the WAS service is deployed." },
  { key: "chaosTarget", type: "string", default: "worker", description: "What the drill stops: worker, manager, edge (a balancer pair), or a swarm node name (swarm-manager-0, swarm-worker-1, ...)." },
  { key: "chaosDeadlineSeconds", type: "integer", default: 60, description: "How long the drill waits for the replicas to be restored before failing." },
  { key: "chaosFault", type: "string", default: "stop", description: "What the drill does to its target: stop (graceful, the node drains), kill (abrupt loss: EC2 stop skipping the OS shutdown), partition (the node runs on, cut off by an isolating security group)." },
];

/**
 * The shortest dispatcherHeartbeatSeconds: renderers/swarmBootstrap.ts MIN_HEARTBEAT_SECONDS (why it is
 * 0.5 is explained there; a test holds the two equal, stacks/ imports nothing from renderers/).
 */
export const MIN_HEARTBEAT_SECONDS = 0.5;

/** The values chaosFault accepts: chaos/fault.ts FAULT_KINDS (a test holds the two equal; stacks/ imports nothing from chaos/). */
export const CHAOS_FAULTS = ["stop", "kill", "partition"] as const;

/** Validated, defaulted configuration: what components and the lab receive. */
export interface SwarmHaConfig {
  readonly network: {
    readonly vpcCidr: string;
    readonly availabilityZones: number;
    /** The stack was checked to survive the loss of its worst availability zone. */
    readonly surviveAzLoss: boolean;
    readonly adminCidr: string;
    /** adminCidr may be wider than /16 (an explicit opt-in). */
    readonly allowWideAdminCidr: boolean;
    readonly encryptOverlay: boolean;
  };
  /** The private key itself is read as a secret by stacks/config.ts; here only whether one is configured. */
  readonly ssh: { readonly keyConfigured: boolean; readonly user: string };
  /** The AMI's Ubuntu release (base/ubuntu.ts). */
  readonly ubuntuRelease: UbuntuRelease;
  readonly instanceFamilies: readonly string[];
  readonly managers: { readonly count: 1 | 3 | 5; readonly instanceType: string; readonly runTasks: boolean };
  readonly workers: { readonly count: number; readonly instanceType: string };
  readonly swarm: { readonly dispatcherHeartbeatSeconds: number; readonly taskRestartDelaySeconds: number };
  readonly nfs: { readonly instanceType: string; readonly exportPath: string };
  readonly edge: { readonly nodes: 1 | 2; readonly instanceType: string };
  readonly was: {
    readonly image?: string;
    readonly sampleBaseImage: string;
    readonly replicas: number;
    readonly port: number;
    readonly healthPath: string;
    readonly env: Readonly<Record<string, string>>;
  };
  readonly chaos: { readonly enabled: boolean; readonly target: string; readonly deadlineSeconds: number; readonly fault: (typeof CHAOS_FAULTS)[number] };
}

/** One bad key: the message names the key and how to fix it. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`config key "${key}": ${reason}`);
    this.name = "ConfigError";
  }
}

/** Raw values as `pulumi config` stores them: strings, or already-parsed JSON for arrays. */
export type RawConfig = Readonly<Record<string, unknown>>;

const KEY_BY_NAME = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

function raw(values: RawConfig, key: string): unknown {
  const v = values[key];
  if (v === undefined || v === null || v === "") return KEY_BY_NAME.get(key)?.default;
  return v;
}

function str(values: RawConfig, key: string): string {
  const v = raw(values, key);
  if (v === undefined) {
    throw new ConfigError(key, `is required; set it with \`pulumi config set ${key} <value>\``);
  }
  if (typeof v !== "string") throw new ConfigError(key, `must be a string (got ${JSON.stringify(v)})`);
  return v;
}

function int(values: RawConfig, key: string, min: number, max: number): number {
  const v = raw(values, key);
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new ConfigError(key, `must be a whole number (got ${JSON.stringify(v)})`);
  if (n < min || n > max) throw new ConfigError(key, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

/** A decimal number within [min, max] with at most `decimals` decimals (a Pulumi string or a number). */
function decimal(values: RawConfig, key: string, min: number, max: number, decimals: number): number {
  const v = raw(values, key);
  const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
  if (!new RegExp(`^\\d+(\\.\\d{1,${decimals}})?$`).test(text)) {
    throw new ConfigError(key, `must be a number of seconds with at most ${decimals} decimals, e.g. 0.5 (got ${JSON.stringify(v)})`);
  }
  const n = Number(text);
  if (n < min || n > max) throw new ConfigError(key, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

function bool(values: RawConfig, key: string): boolean {
  const v = raw(values, key);
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  throw new ConfigError(key, `must be true or false (got ${JSON.stringify(v)})`);
}

function list(values: RawConfig, key: string): string[] {
  let v = raw(values, key);
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      throw new ConfigError(key, `must be a list, e.g. \`pulumi config set --path '${key}[0]' value\` (got ${JSON.stringify(v)})`);
    }
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new ConfigError(key, `must be a list of strings (got ${JSON.stringify(v)})`);
  }
  return v;
}

/** Re-exported: the parser lives in base/ipv4 (one for the renderers, stacks, lab and components). */
export { parseCidr };

function cidr(values: RawConfig, key: string): string {
  const v = str(values, key).trim();
  const parsed = parseCidr(v);
  if (!parsed) throw new ConfigError(key, `"${v}" is not an IPv4 CIDR like 10.42.0.0/16`);
  const mask = parsed.prefix === 0 ? 0 : (~0 << (32 - parsed.prefix)) >>> 0;
  if ((parsed.base & mask) >>> 0 !== parsed.base) {
    throw new ConfigError(key, `"${v}" has host bits set; use the network address of that prefix`);
  }
  return v;
}

const INSTANCE_TYPE = /^([a-z][a-z0-9-]*)\.(nano|micro|small|medium|large|metal|\d*xlarge)$/;

function instanceType(values: RawConfig, key: string, families: readonly string[]): string {
  const v = str(values, key).trim();
  const m = INSTANCE_TYPE.exec(v);
  if (!m) throw new ConfigError(key, `"${v}" is not an EC2 instance type like t3.small`);
  if (!families.includes(m[1])) {
    throw new ConfigError(
      key,
      `instance family "${m[1]}" is not allowed; use one of ${families.join(", ")} or add it to instanceFamilies`,
    );
  }
  return v;
}


/** How many nodes may run a WAS task (host-mode publishing: at most one task per node). */
export function wasSlots(managers: number, workers: number, managersRunTasks: boolean): number {
  return workers + (managersRunTasks ? managers : 0);
}

/** Edit distance, for "did you mean" on a mistyped key. */
function distance(a: string, b: string): number {
  const row = [...Array(b.length + 1).keys()];
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known key closest to a mistyped one, when it is plausibly a typo. */
export function suggestKey(key: string): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of CONFIG_KEYS) {
    const d = distance(key, k.key);
    if (!best || d < best.d) best = { key: k.key, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

function rejectUnknownKeys(values: RawConfig): void {
  const unknown = Object.keys(values).filter((k) => !KEY_BY_NAME.has(k));
  if (unknown.length === 0) return;
  const key = unknown[0];
  const near = suggestKey(key);
  throw new ConfigError(
    key,
    `is not a swarm-ha setting${near ? `; did you mean ${near}?` : "."} ` +
      `Remove it with \`pulumi config rm ${key}\`${near ? ` and set \`pulumi config set ${near} <value>\`` : ""}; ` +
      `known keys are listed in Pulumi.yaml`,
  );
}

/** The widest adminCidr accepted without allowWideAdminCidr (the policy pack's default too). */
export const MIN_ADMIN_PREFIX = 16;

function parseNetwork(values: RawConfig): SwarmHaConfig["network"] {
  const vpcCidr = cidr(values, "vpcCidr");
  const vpcPrefix = parseCidr(vpcCidr)!.prefix;
  if (vpcPrefix < 16 || vpcPrefix > 24) {
    throw new ConfigError("vpcCidr", `prefix must be /16 to /24 for AWS subnets to fit (got /${vpcPrefix})`);
  }
  const adminCidr = cidr(values, "adminCidr");
  const adminPrefix = parseCidr(adminCidr)!.prefix;
  const allowWide = bool(values, "allowWideAdminCidr");
  if (adminPrefix === 0) {
    throw new ConfigError("adminCidr", `0.0.0.0/0 would open SSH to the internet; use your address, e.g. 203.0.113.7/32`);
  }
  if (adminPrefix < MIN_ADMIN_PREFIX && !allowWide) {
    throw new ConfigError(
      "adminCidr",
      `${adminCidr} opens SSH to ${2 ** (32 - adminPrefix)} addresses (wider than /${MIN_ADMIN_PREFIX}); use your address, ` +
        `e.g. 203.0.113.7/32, or if the range really is yours set \`pulumi config set allowWideAdminCidr true\` ` +
        `(and lower the policy pack's no-public-cluster-ports minIpv4PrefixLength)`,
    );
  }
  return {
    vpcCidr,
    availabilityZones: int(values, "availabilityZones", 1, 3),
    surviveAzLoss: bool(values, "surviveAzLoss"),
    adminCidr,
    allowWideAdminCidr: allowWide,
    encryptOverlay: bool(values, "encryptOverlay"),
  };
}

/** Managers and workers (counts only; instance types are checked with the families). */
function parseCounts(values: RawConfig): { managers: 1 | 3 | 5; workers: number; runTasks: boolean } {
  // Range-checked wide so 0 or 7 get the same "1, 3 or 5" message as 2 or 4, not "between 1 and 5".
  const managers = int(values, "managerCount", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (managers !== 1 && managers !== 3 && managers !== 5) {
    throw new ConfigError("managerCount", `must be 1, 3 or 5 so the managers keep a Raft quorum (got ${managers})`);
  }
  return { managers, workers: int(values, "workerCount", 1, 100), runTasks: bool(values, "managersRunTasks") };
}

function parseReplicas(values: RawConfig, counts: ReturnType<typeof parseCounts>): number {
  const replicas = int(values, "wasReplicas", 1, 1000);
  if (replicas < MIN_WAS_REPLICAS) {
    throw new ConfigError(
      "wasReplicas",
      `must be at least ${MIN_WAS_REPLICAS} (got ${replicas}): one replica cannot serve while it is rescheduled, ` +
        `and the policy pack's was-service-resilient refuses it; set wasReplicas to ${MIN_WAS_REPLICAS} or more`,
    );
  }
  const slots = wasSlots(counts.managers, counts.workers, counts.runTasks);
  if (replicas > slots - 1) {
    throw new ConfigError(
      "wasReplicas",
      `${replicas} replicas cannot all be restored after one node is lost: only ${slots} nodes can run a task ` +
        `(one task per node, host-mode port). Set wasReplicas <= ${slots - 1}, add workers (workerCount)` +
        (counts.runTasks ? "" : ", or set managersRunTasks true"),
    );
  }
  return replicas;
}

/**
 * With surviveAzLoss, the stack must keep serving when the availability zone holding the most
 * task-eligible nodes goes dark: a manager quorum, a balancer and a node for every replica left.
 * Placement is stacks/topology.ts's (the rule components/swarmCluster.ts places instances by).
 */
function checkAzLoss(
  network: SwarmHaConfig["network"],
  counts: ReturnType<typeof parseCounts>,
  replicas: number,
  edgeNodes: number,
): void {
  if (!network.surviveAzLoss) return;
  const zones = network.availabilityZones;
  if (zones < 2) {
    throw new ConfigError("surviveAzLoss", "needs at least two availability zones; set availabilityZones 3 (or 2), or surviveAzLoss false");
  }
  const per = nodesPerZone(counts.managers, counts.workers, zones);
  const quorum = Math.floor(counts.managers / 2) + 1;
  const managersLeft = counts.managers - Math.max(...per.managers);
  if (managersLeft < quorum) {
    throw new ConfigError(
      "surviveAzLoss",
      `losing the zone with the most managers leaves ${managersLeft} of ${counts.managers} managers, below the Raft quorum of ${quorum}; ` +
        `set managerCount 3 with availabilityZones 3`,
    );
  }
  if (edgeNodes < 2) {
    throw new ConfigError("surviveAzLoss", "one balancer lives in one zone; set edgeNodes 2 (a pair in two zones)");
  }
  const eligible = per.workers.map((w, z) => w + (counts.runTasks ? per.managers[z] : 0));
  const worst = Math.max(...eligible);
  const left = eligible.reduce((a, b) => a + b, 0) - worst;
  if (replicas > left) {
    throw new ConfigError(
      "wasReplicas",
      `${replicas} replicas do not fit after losing an availability zone: eligible nodes per zone are ` +
        `${eligible.join("/")}, so losing the fullest (${worst}) leaves ${left}. Add workers (workerCount) until ` +
        `${replicas} remain, lower wasReplicas to ${left}, or set surviveAzLoss false`,
    );
  }
}

/** Only a dedicated directory below this may be exported (it is chowned to nobody and shared read-write). */
export const NFS_EXPORT_ROOT = "/srv/";

function parseExportPath(values: RawConfig): string {
  const given = str(values, "nfsExportPath").trim();
  const fix = `use a dedicated directory below ${NFS_EXPORT_ROOT}, e.g. /srv/nfs/was-logs`;
  if (!given.startsWith("/") || !/^[A-Za-z0-9._\/-]+$/.test(given)) {
    throw new ConfigError("nfsExportPath", `must be an absolute directory path (got "${given}"); ${fix}`);
  }
  if (given.split("/").includes("..")) {
    throw new ConfigError("nfsExportPath", `"${given}" has a ".." segment; ${fix}`);
  }
  const path = posixPath.normalize(given).replace(/\/+$/, "");
  if (!path.startsWith(NFS_EXPORT_ROOT) || path.length <= NFS_EXPORT_ROOT.length) {
    throw new ConfigError(
      "nfsExportPath",
      `"${given}" is ${path === "" ? "/" : path}, not a directory below ${NFS_EXPORT_ROOT}: the server chowns the export to ` +
        `nobody and shares it read-write with every node; ${fix}`,
    );
  }
  return path;
}

function parseWasPort(values: RawConfig): number {
  const port = int(values, "wasPort", 1, 65535);
  const taken = reservedPorts().get(port);
  if (taken !== undefined) {
    throw new ConfigError("wasPort", `${port} is already used by the topology (${taken}); pick a free port such as 8080`);
  }
  if (port < 1024) throw new ConfigError("wasPort", `must be between 1024 and 65535 (got ${port})`);
  return port;
}

function parseEnv(values: RawConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list(values, "wasEnv")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(entry);
    if (!m) throw new ConfigError("wasEnv", `"${entry}" is not KEY=VALUE`);
    if ((SERVICE_OWNED_ENV as readonly string[]).includes(m[1])) {
      const instead: Record<string, string> = { PORT: "wasPort", HEALTH_PATH: "wasHealthPath" };
      throw new ConfigError(
        "wasEnv",
        `${m[1]} is set by the service itself (${SERVICE_OWNED_ENV.join(", ")}); remove "${entry}"` +
          (instead[m[1]] ? ` and set ${instead[m[1]]} instead` : ""),
      );
    }
    env[m[1]] = m[2];
  }
  return env;
}

/** Every value chaosTarget accepts for these counts: the roles and the swarm node names. */
export function chaosTargets(managers: number, workers: number): string[] {
  return [
    "worker",
    "manager",
    "edge",
    ...[...Array(managers).keys()].map((i) => swarmNodeName("manager", i)),
    ...[...Array(workers).keys()].map((i) => swarmNodeName("worker", i)),
  ];
}

function parseChaos(values: RawConfig, counts: ReturnType<typeof parseCounts>, edgeNodes: number): SwarmHaConfig["chaos"] {
  const target = str(values, "chaosTarget").trim();
  const valid = chaosTargets(counts.managers, counts.workers);
  if (!valid.includes(target)) {
    throw new ConfigError("chaosTarget", `"${target}" is not a target of this stack; use one of ${valid.join(", ")}`);
  }
  const enabled = bool(values, "chaosEnabled");
  const isManager = target === "manager" || [...Array(counts.managers).keys()].some((i) => swarmNodeName("manager", i) === target);
  if (enabled && isManager && counts.managers === 1) {
    throw new ConfigError("chaosTarget", "cannot stop the only manager: the swarm could not reschedule; use worker or managerCount 3");
  }
  if (enabled && target === "edge" && edgeNodes === 1) {
    throw new ConfigError("chaosTarget", "cannot stop the only balancer; use worker or set edgeNodes 2");
  }
  const fault = str(values, "chaosFault").trim();
  if (!(CHAOS_FAULTS as readonly string[]).includes(fault)) {
    throw new ConfigError("chaosFault", `"${fault}" is not a fault kind; use one of ${CHAOS_FAULTS.join(", ")} (pulumi config set chaosFault kill)`);
  }
  return { enabled, target, deadlineSeconds: int(values, "chaosDeadlineSeconds", 10, 1800), fault: fault as (typeof CHAOS_FAULTS)[number] };
}

/** Reads an SSH string (uint32 length + bytes) at `at`; undefined when it runs past the end. */
function sshString(buf: Buffer, at: number): { value: Buffer; next: number } | undefined {
  if (at + 4 > buf.length) return undefined;
  const len = buf.readUInt32BE(at);
  if (at + 4 + len > buf.length) return undefined;
  return { value: buf.subarray(at + 4, at + 4 + len), next: at + 4 + len };
}

/**
 * The key type of a private key ("rsa", "ed25519", "ec", ...), and whether a passphrase protects
 * it. OpenSSH keys are read from their unencrypted public part (PROTOCOL.key in OpenSSH's sources:
 * magic, cipher, kdf, kdf options, key count, public key blob); PEM/PKCS#8 keys by node:crypto.
 */
export function privateKeyType(pem: string): { type: string; encrypted: boolean } | undefined {
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem);
  if (openssh) {
    const buf = Buffer.from(openssh[1].replace(/\s+/g, ""), "base64");
    const magic = "openssh-key-v1\0";
    if (buf.subarray(0, magic.length).toString("latin1") !== magic) return undefined;
    const cipher = sshString(buf, magic.length);
    const kdf = cipher && sshString(buf, cipher.next);
    const kdfOptions = kdf && sshString(buf, kdf.next);
    if (!kdfOptions || kdfOptions.next + 4 > buf.length) return undefined;
    const publicBlob = sshString(buf, kdfOptions.next + 4);
    const keyType = publicBlob && sshString(publicBlob.value, 0);
    if (!keyType) return undefined;
    const name = keyType.value.toString("latin1");
    const type = name === "ssh-rsa" ? "rsa" : name === "ssh-ed25519" ? "ed25519" : name.startsWith("ecdsa-") ? "ec" : name;
    return { type, encrypted: cipher.value.toString("latin1") !== "none" };
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return undefined;
  if (/ENCRYPTED/.test(pem)) return { type: "unknown", encrypted: true };
  try {
    return { type: createPrivateKey(pem).asymmetricKeyType ?? "unknown", encrypted: false };
  } catch {
    return undefined;
  }
}

function parseSshKey(values: RawConfig): boolean {
  const key = str(values, "sshPrivateKey").trim();
  if (key === "") return false;
  const set = "set it with `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`, or `pulumi config rm sshPrivateKey` to generate one";
  const found = privateKeyType(key);
  if (!found) throw new ConfigError("sshPrivateKey", `must be an OpenSSH or PEM private key (-----BEGIN OPENSSH PRIVATE KEY-----...); ${set}`);
  if (found.encrypted) {
    throw new ConfigError("sshPrivateKey", `is protected by a passphrase, which provisioning over SSH cannot enter; use a key without one; ${set}`);
  }
  if (found.type !== "rsa" && found.type !== "ed25519") {
    throw new ConfigError(
      "sshPrivateKey",
      `is a ${found.type.toUpperCase()} key; EC2 key pairs take only RSA or ED25519 (ssh-keygen -t ed25519); ${set}`,
    );
  }
  return true;
}

/**
 * Validates and defaults every key. Throws a ConfigError naming the first bad key and the fix;
 * callers run this before creating any resource.
 */
export function parseConfig(values: RawConfig): SwarmHaConfig {
  rejectUnknownKeys(values);
  const network = parseNetwork(values);
  const families = list(values, "instanceFamilies");
  if (families.length === 0) throw new ConfigError("instanceFamilies", "must name at least one family, e.g. [\"t3\"]");
  const counts = parseCounts(values);
  const replicas = parseReplicas(values, counts);
  const env = parseEnv(values);

  const healthPath = str(values, "wasHealthPath");
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(healthPath)) {
    throw new ConfigError("wasHealthPath", `must be an absolute URL path like /healthz (got "${healthPath}")`);
  }
  const exportPath = parseExportPath(values);
  const edgeNodes = int(values, "edgeNodes", 1, 2) as 1 | 2;
  if (edgeNodes === 2 && network.availabilityZones < 2) {
    throw new ConfigError(
      "edgeNodes",
      "a balancer pair needs two availability zones so one zone's loss keeps a balancer; set availabilityZones 2 or edgeNodes 1",
    );
  }
  checkAzLoss(network, counts, replicas, edgeNodes);
  const chaos = parseChaos(values, counts, edgeNodes);
  const keyConfigured = parseSshKey(values);
  const sshUser = str(values, "sshUser");
  if (!/^[a-z_][a-z0-9_-]*$/.test(sshUser)) throw new ConfigError("sshUser", `"${sshUser}" is not a valid login name`);
  const ubuntuRelease = str(values, "ubuntuRelease");
  if (!(UBUNTU_RELEASES as readonly string[]).includes(ubuntuRelease)) {
    throw new ConfigError("ubuntuRelease", `must be ${UBUNTU_RELEASES.join(" or ")} (got "${ubuntuRelease}"); set it with pulumi config set ubuntuRelease ${DEFAULT_UBUNTU_RELEASE}`);
  }

  const imageRef = (key: string): string => {
    const v = str(values, key).trim();
    if (v !== "" && !/^[a-z0-9]([a-z0-9._\/:@-]*[a-z0-9])?$/.test(v)) {
      throw new ConfigError(key, `"${v}" is not an image reference like registry/app:1.2`);
    }
    return v;
  };
  const wasImage = imageRef("wasImage");
  const sampleBaseImage = imageRef("wasSampleBaseImage");
  if (sampleBaseImage === "") throw new ConfigError("wasSampleBaseImage", "must name a Node.js image, e.g. node:22-alpine");

  return {
    network,
    ssh: { keyConfigured, user: sshUser },
    ubuntuRelease: ubuntuRelease as UbuntuRelease,
    instanceFamilies: families,
    managers: {
      count: counts.managers,
      instanceType: instanceType(values, "managerInstanceType", families),
      runTasks: counts.runTasks,
    },
    workers: { count: counts.workers, instanceType: instanceType(values, "workerInstanceType", families) },
    swarm: {
      dispatcherHeartbeatSeconds: decimal(values, "dispatcherHeartbeatSeconds", MIN_HEARTBEAT_SECONDS, 60, 3),
      taskRestartDelaySeconds: int(values, "taskRestartDelaySeconds", 0, 60),
    },
    nfs: { instanceType: instanceType(values, "nfsInstanceType", families), exportPath },
    edge: { nodes: edgeNodes, instanceType: instanceType(values, "edgeInstanceType", families) },
    was: {
      image: wasImage === "" ? undefined : wasImage,
      sampleBaseImage,
      replicas,
      port: parseWasPort(values),
      healthPath,
      env,
    },
    chaos,
  };
}
