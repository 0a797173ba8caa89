/**
 * The stack configuration: every key, its type, default and meaning, in one table.
 *
 * This table is the single source of truth. `Pulumi.yaml`'s `config:` block and the README's
 * config reference are generated from it (`npm run docs:config`), and a test fails when either
 * drifts. `parseConfig` turns raw values into a validated `SwarmHaConfig` without touching Pulumi,
 * so the same checks run in unit tests, in the program and in the lab CLI.
 */
import { parseCidr } from "../base/ipv4";

export type ConfigType = "string" | "integer" | "boolean" | "array";

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
  { key: "adminCidr", type: "string", description: "Source CIDR allowed to SSH to the nodes (where `pulumi up` runs). Required; 0.0.0.0/0 is refused." },
  { key: "sshPrivateKey", type: "string", default: "", secret: true, description: "OpenSSH private key for the nodes (set with `pulumi config set --secret sshPrivateKey < key`). Empty: an ED25519 key pair is generated with @pulumi/tls and exported as a secret." },
  { key: "sshUser", type: "string", default: "ubuntu", description: "Login user of the Ubuntu AMI." },
  { key: "instanceFamilies", type: "array", default: [...DEFAULT_INSTANCE_FAMILIES], description: "Instance families any instance type must belong to." },
  { key: "managerCount", type: "integer", default: 1, description: "Swarm managers: 1, 3 or 5 (an odd count keeps a Raft quorum)." },
  { key: "managerInstanceType", type: "string", default: "t3.small", description: "EC2 instance type of the managers." },
  { key: "managersRunTasks", type: "boolean", default: true, description: "Whether managers may run WAS tasks (they are the spare slots that let a lost worker's replica be restored)." },
  { key: "workerCount", type: "integer", default: 3, description: "Swarm workers (1 to 100)." },
  { key: "workerInstanceType", type: "string", default: "t3.small", description: "EC2 instance type of the workers." },
  { key: "encryptOverlay", type: "boolean", default: false, description: "Encrypt the WAS overlay network (IPsec ESP between nodes)." },
  { key: "dispatcherHeartbeatSeconds", type: "integer", default: 1, description: "Swarm dispatcher heartbeat; a stopped node is marked Down after about 3 to 4 heartbeats." },
  { key: "nfsInstanceType", type: "string", default: "t3.micro", description: "EC2 instance type of the NFS log server." },
  { key: "nfsExportPath", type: "string", default: "/srv/nfs/was-logs", description: "Directory the NFS server exports for the WAS logs." },
  { key: "edgeNodes", type: "integer", default: 1, description: "nginx balancers in front of the swarm: 1, or 2 for a primary/standby pair." },
  { key: "edgeInstanceType", type: "string", default: "t3.micro", description: "EC2 instance type of the nginx balancers." },
  { key: "wasImage", type: "string", default: "", description: "Image of the WAS service. Empty: the sample application (app/server.js) runs on wasSampleBaseImage, delivered as a swarm config (no registry needed)." },
  { key: "wasSampleBaseImage", type: "string", default: "node:22-alpine", description: "Node.js image the sample application runs on when wasImage is empty." },
  { key: "wasReplicas", type: "integer", default: 3, description: "WAS replicas; must leave one free slot so a lost node's replica can be restored." },
  { key: "wasPort", type: "integer", default: 8080, description: "Port the WAS container listens on, also published on each node (host mode) for nginx." },
  { key: "wasHealthPath", type: "string", default: "/healthz", description: "HTTP path of the WAS health check." },
  { key: "wasEnv", type: "array", default: [], description: "Extra environment for the WAS containers, as KEY=VALUE strings." },
  { key: "taskRestartDelaySeconds", type: "integer", default: 1, description: "Delay before swarm restarts or reschedules a failed WAS task." },
  { key: "chaosEnabled", type: "boolean", default: false, description: "Run the chaos drill during `pulumi up`, after the WAS service is deployed." },
  { key: "chaosTarget", type: "string", default: "worker", description: "What the drill stops: worker, manager, edge, or a node name." },
  { key: "chaosDeadlineSeconds", type: "integer", default: 60, description: "How long the drill waits for the replicas to be restored before failing." },
];

/** Validated, defaulted configuration: what components and the lab receive. */
export interface SwarmHaConfig {
  readonly network: {
    readonly vpcCidr: string;
    readonly availabilityZones: number;
    readonly adminCidr: string;
    readonly encryptOverlay: boolean;
  };
  /** The private key itself is read as a secret by stacks/config.ts; here only whether one is configured. */
  readonly ssh: { readonly keyConfigured: boolean; readonly user: string };
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
  readonly chaos: { readonly enabled: boolean; readonly target: string; readonly deadlineSeconds: number };
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

/**
 * Validates and defaults every key. Throws a ConfigError naming the first bad key and the fix;
 * callers run this before creating any resource.
 */
export function parseConfig(values: RawConfig): SwarmHaConfig {
  const unknown = Object.keys(values).filter((k) => !KEY_BY_NAME.has(k));
  if (unknown.length > 0) {
    throw new ConfigError(unknown[0], `is not a swarm-ha setting; known keys are listed in Pulumi.yaml`);
  }

  const vpcCidr = cidr(values, "vpcCidr");
  const vpcPrefix = parseCidr(vpcCidr)!.prefix;
  if (vpcPrefix < 16 || vpcPrefix > 24) {
    throw new ConfigError("vpcCidr", `prefix must be /16 to /24 for AWS subnets to fit (got /${vpcPrefix})`);
  }
  const adminCidr = cidr(values, "adminCidr");
  if (parseCidr(adminCidr)!.prefix === 0) {
    throw new ConfigError("adminCidr", `0.0.0.0/0 would open SSH to the internet; use your address, e.g. 203.0.113.7/32`);
  }

  const families = list(values, "instanceFamilies");
  if (families.length === 0) throw new ConfigError("instanceFamilies", "must name at least one family, e.g. [\"t3\"]");

  // Range-checked wide so 0 or 7 get the same "1, 3 or 5" message as 2 or 4, not "between 1 and 5".
  const managerCount = int(values, "managerCount", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (managerCount !== 1 && managerCount !== 3 && managerCount !== 5) {
    throw new ConfigError("managerCount", `must be 1, 3 or 5 so the managers keep a Raft quorum (got ${managerCount})`);
  }
  const workerCount = int(values, "workerCount", 1, 100);
  const managersRunTasks = bool(values, "managersRunTasks");
  const replicas = int(values, "wasReplicas", 1, 1000);
  const slots = wasSlots(managerCount, workerCount, managersRunTasks);
  if (replicas > slots - 1) {
    throw new ConfigError(
      "wasReplicas",
      `${replicas} replicas cannot all be restored after one node is lost: only ${slots} nodes can run a task ` +
        `(one task per node, host-mode port). Set wasReplicas <= ${slots - 1}, add workers (workerCount)` +
        (managersRunTasks ? "" : ", or set managersRunTasks true"),
    );
  }

  const envList = list(values, "wasEnv");
  const env: Record<string, string> = {};
  for (const entry of envList) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(entry);
    if (!m) throw new ConfigError("wasEnv", `"${entry}" is not KEY=VALUE`);
    env[m[1]] = m[2];
  }

  const healthPath = str(values, "wasHealthPath");
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(healthPath)) {
    throw new ConfigError("wasHealthPath", `must be an absolute URL path like /healthz (got "${healthPath}")`);
  }
  const exportPath = str(values, "nfsExportPath");
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(exportPath) || exportPath.includes("..")) {
    throw new ConfigError("nfsExportPath", `must be an absolute directory path like /srv/nfs/was-logs (got "${exportPath}")`);
  }

  const edgeNodes = int(values, "edgeNodes", 1, 2) as 1 | 2;
  const availabilityZones = int(values, "availabilityZones", 1, 3);
  if (edgeNodes === 2 && availabilityZones < 2) {
    throw new ConfigError(
      "edgeNodes",
      "a balancer pair needs two availability zones so one zone's loss keeps a balancer; set availabilityZones 2 or edgeNodes 1",
    );
  }
  const chaosTarget = str(values, "chaosTarget");
  if (!/^(worker|manager|edge|[a-z0-9][a-z0-9-]*)$/.test(chaosTarget)) {
    throw new ConfigError("chaosTarget", `must be worker, manager, edge or a node name (got "${chaosTarget}")`);
  }
  const chaosEnabled = bool(values, "chaosEnabled");
  if (chaosEnabled && chaosTarget === "manager" && managerCount === 1) {
    throw new ConfigError("chaosTarget", "cannot stop the only manager: the swarm could not reschedule; use worker or managerCount 3");
  }
  if (chaosEnabled && chaosTarget === "edge" && edgeNodes === 1) {
    throw new ConfigError("chaosTarget", "cannot stop the only balancer; use worker or set edgeNodes 2");
  }

  const sshPrivateKey = str(values, "sshPrivateKey").trim();
  if (sshPrivateKey !== "" && !/^-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----/.test(sshPrivateKey)) {
    throw new ConfigError(
      "sshPrivateKey",
      "must be a PEM private key (-----BEGIN OPENSSH PRIVATE KEY-----...); set it with `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`, or leave it empty to generate one",
    );
  }
  const sshUser = str(values, "sshUser");
  if (!/^[a-z_][a-z0-9_-]*$/.test(sshUser)) throw new ConfigError("sshUser", `"${sshUser}" is not a valid login name`);

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
    network: {
      vpcCidr,
      availabilityZones,
      adminCidr,
      encryptOverlay: bool(values, "encryptOverlay"),
    },
    ssh: { keyConfigured: sshPrivateKey !== "", user: sshUser },
    instanceFamilies: families,
    managers: {
      count: managerCount,
      instanceType: instanceType(values, "managerInstanceType", families),
      runTasks: managersRunTasks,
    },
    workers: { count: workerCount, instanceType: instanceType(values, "workerInstanceType", families) },
    swarm: {
      dispatcherHeartbeatSeconds: int(values, "dispatcherHeartbeatSeconds", 1, 60),
      taskRestartDelaySeconds: int(values, "taskRestartDelaySeconds", 0, 60),
    },
    nfs: { instanceType: instanceType(values, "nfsInstanceType", families), exportPath },
    edge: { nodes: edgeNodes, instanceType: instanceType(values, "edgeInstanceType", families) },
    was: {
      image: wasImage === "" ? undefined : wasImage,
      sampleBaseImage,
      replicas,
      port: int(values, "wasPort", 1024, 65535),
      healthPath,
      env,
    },
    chaos: {
      enabled: chaosEnabled,
      target: chaosTarget,
      deadlineSeconds: int(values, "chaosDeadlineSeconds", 10, 1800),
    },
  };
}
