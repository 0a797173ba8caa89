/**
 * The stack configuration: every key, its type, default and meaning, in one table.
 *
 * This table is the single source of truth. `Pulumi.yaml`'s `config:` block and the README's
 * config reference are generated from it (`npm run docs:config`), and a test fails when either
 * drifts. `parseConfig` turns raw values into a validated `SwarmHaConfig` without touching Pulumi,
 * so the same checks run in unit tests, in the program and in the lab CLI.
 */
import { DEFAULT_FAULT, FAULT_KINDS, isFaultKind, type FaultKind } from "../base/faults";
import { Cidr, formatCidr, netmask, parseCidr } from "../base/ipv4";
import { quote } from "../base/quote";
import { DEFAULT_UBUNTU_RELEASE, UBUNTU_RELEASES, type UbuntuRelease } from "../base/ubuntu";

import { InstanceType as AWS_INSTANCE_TYPES } from "@pulumi/aws/types/enums/ec2";
import { createPrivateKey } from "node:crypto";
import * as posixPath from "node:path/posix";
import { utils as ssh2Utils } from "ssh2";
import {
  MIN_WAS_REPLICAS,
  nodesPerZone,
  reservedPorts,
  SERVICE_OWNED_ENV,
  swarmNodeName,
} from "./topology";

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

/** What each fault kind does on AWS, for the description of `chaosFault` (one entry per kind of base/faults.ts). */
const CHAOS_FAULT_ON_AWS: Readonly<Record<FaultKind, string>> = {
  stop: "graceful, the node drains",
  kill: "abrupt loss: EC2 stop skipping the OS shutdown",
  partition: "the node runs on, cut off by an isolating security group",
};

export const CONFIG_KEYS: readonly ConfigKey[] = [
  {
    key: "vpcCidr",
    type: "string",
    default: "10.42.0.0/16",
    description:
      "IPv4 CIDR of the VPC: a /16 to /24 inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), passed on in its normal form (010.042.0.0/16 is 10.42.0.0/16). It is split into 8 subnets (a /16 into /19s); each cluster subnet must hold its zone's managers and workers, and the first the NFS server, besides the 5 addresses AWS reserves per subnet.",
  },
  {
    key: "availabilityZones",
    type: "integer",
    default: 2,
    description: "How many availability zones to spread subnets and nodes over (1 to 3).",
  },
  {
    key: "surviveAzLoss",
    type: "boolean",
    default: false,
    description:
      "Require the stack to survive the loss of a whole availability zone: two or more zones, a manager quorum, a balancer and wasReplicas eligible nodes left after losing the zone with the most eligible nodes (placement: config/topology.ts), and a log store in every zone (logStore efs, or acceptLogStoreZoneLoss).",
  },
  {
    key: "adminCidr",
    type: "string",
    description:
      "Source CIDR allowed to SSH to the nodes (where `pulumi up` runs). Required; 0.0.0.0/0 is refused, and so is a range wider than /16 unless allowWideAdminCidr is true, and a range no SSH connection can come from (0.0.0.0/8, loopback, link-local, multicast, 240.0.0.0/4). Passed on in its normal form, like vpcCidr.",
  },
  {
    key: "allowWideAdminCidr",
    type: "boolean",
    default: false,
    description:
      "Accept an adminCidr wider than /16 (e.g. a corporate VPN's /8). The policy pack's no-public-cluster-ports flags such a range on SSH too unless its minIpv4PrefixLength setting is lowered.",
  },
  {
    key: "sshPrivateKey",
    type: "string",
    default: "",
    secret: true,
    description:
      "RSA or ED25519 private key for the nodes, OpenSSH or PEM, without a passphrase (EC2 key pairs take no other type); set it with `pulumi config set --secret sshPrivateKey < key`, a plain value is refused. Its private part is parsed and must match its public part; an RSA key needs 2048 bits or more. Empty: an ED25519 key pair is generated with @pulumi/tls and exported as a secret.",
  },
  {
    key: "sshUser",
    type: "string",
    default: "ubuntu",
    description:
      "Login user of the Ubuntu AMI: a Linux login name of at most 32 characters, not root (Ubuntu's images refuse SSH logins as root).",
  },
  {
    key: "ubuntuRelease",
    type: "string",
    default: DEFAULT_UBUNTU_RELEASE,
    description: `Ubuntu LTS release of every instance's AMI (Canonical's newest gp3 server build for the instance's architecture): ${UBUNTU_RELEASES.join(" or ")}. Running instances keep their AMI (the program ignores AMI changes); a changed release reaches instances as they are replaced.`,
  },
  {
    key: "instanceFamilies",
    type: "array",
    default: [...DEFAULT_INSTANCE_FAMILIES],
    description:
      "Instance families any instance type must belong to: each a family of the EC2 instance types @pulumi/aws lists (no blank entries; mac families run macOS only and are refused).",
  },
  {
    key: "managerCount",
    type: "integer",
    default: 1,
    description: "Swarm managers: 1, 3 or 5 (an odd count keeps a Raft quorum).",
  },
  {
    key: "managerInstanceType",
    type: "string",
    default: "t3.small",
    description:
      "EC2 instance type of the managers: one that exists (the list @pulumi/aws ships). Graviton (arm64) types get Ubuntu's arm64 AMI; managers and workers must share one architecture.",
  },
  {
    key: "managersRunTasks",
    type: "boolean",
    default: true,
    description:
      "Whether managers may run WAS tasks (they are the spare slots that let a lost worker's replica be restored).",
  },
  { key: "workerCount", type: "integer", default: 3, description: "Swarm workers (1 to 100)." },
  {
    key: "workerInstanceType",
    type: "string",
    default: "t3.small",
    description:
      "EC2 instance type of the workers: one that exists, of the managers' architecture (x86_64 or arm64).",
  },
  {
    key: "encryptOverlay",
    type: "boolean",
    default: false,
    description: "Encrypt the WAS overlay network (IPsec ESP between nodes).",
  },
  {
    key: "dispatcherHeartbeatSeconds",
    type: "number",
    default: 0.6,
    description:
      'Swarm dispatcher heartbeat in seconds, 0.5 to 60, fractions allowed. A lost node is marked Down 3 x (heartbeat ± 0.5 s) after its last beat (0.6: 0.3 to 3.3 s); swarm draws each period with a fixed ±0.5 s jitter, so at 0.5 a drawn period can be near zero and a node must beat again within twice its draw. 0.6 keeps every draw at 0.1 s or more and showed no false Down in the lab, idle, under 200 connections and at load average 12 (docs/design.md "Restore speed").',
  },
  {
    key: "nfsInstanceType",
    type: "string",
    default: "t3.micro",
    description:
      "EC2 instance type of the NFS log server: one that exists; an arm64 type gets the arm64 AMI.",
  },
  {
    key: "nfsExportPath",
    type: "string",
    default: "/srv/nfs/was-logs",
    description:
      "Directory the NFS server exports read-write for the WAS logs (it is chowned to nobody). Must be a dedicated directory below /srv/, e.g. /srv/nfs/was-logs; never a system directory. At most 4095 bytes (PATH_MAX) with no name over 255 (NAME_MAX).",
  },
  {
    key: "logStore",
    type: "string",
    default: "instance",
    description:
      "Where the WAS logs live: instance (an NFS server on one EC2 instance in the first zone, with its data volume) or efs (an encrypted EFS file system with a mount target in every cluster subnet, so each node mounts the target in its own zone). With surviveAzLoss, instance is refused unless acceptLogStoreZoneLoss is true (docs/log-store.md).",
  },
  {
    key: "acceptLogStoreZoneLoss",
    type: "boolean",
    default: false,
    description:
      "Accept, with surviveAzLoss and logStore instance, that losing the log server's zone (the first) stops a replica lost with it from starting until the server is back (docs/log-store.md). Ignored with logStore efs.",
  },
  {
    key: "edgeNodes",
    type: "integer",
    default: 1,
    description: "nginx balancers in front of the swarm: 1, or 2 for a primary/standby pair.",
  },
  {
    key: "edgeInstanceType",
    type: "string",
    default: "t3.micro",
    description:
      "EC2 instance type of the nginx balancers: one that exists; an arm64 type gets the arm64 AMI.",
  },
  {
    key: "wasImage",
    type: "string",
    default: "",
    description:
      "Image of the WAS service, pinned: a tag other than latest, or a digest (a reference with neither pulls :latest and is refused). Checked by the distribution reference grammar: lowercase repository path, tag [\\w][\\w.-]{0,127} (app:V1 is valid), sha256 digest of 64 lowercase hex digits. On arm64 instance types it must be built for arm64. Empty: the sample application (app/server.js) runs on wasSampleBaseImage, delivered as a swarm config (no registry needed).",
  },
  {
    key: "wasSampleBaseImage",
    type: "string",
    default: "node:22-alpine",
    description:
      "Node.js image the sample application runs on when wasImage is empty; pinned and checked like wasImage.",
  },
  {
    key: "wasReplicas",
    type: "integer",
    default: 3,
    description:
      "WAS replicas: at least 2 (the policy pack's minimum), and one free slot left so a lost node's replica can be restored.",
  },
  {
    key: "wasPort",
    type: "integer",
    default: 8080,
    description: `Port the WAS container listens on, also published on each node (host mode) for nginx: 1024 to 65535, and none the topology already uses (${[...reservedPorts().keys()].filter((p) => p >= 1024).join(", ")}).`,
  },
  {
    key: "wasHealthPath",
    type: "string",
    default: "/healthz",
    description:
      'HTTP path of the WAS health check: absolute, at most 1024 characters, without "." or ".." segments or an empty one (//), which clients and proxies rewrite.',
  },
  {
    key: "wasEnv",
    type: "array",
    default: [],
    description: `Extra environment for the WAS containers, as KEY=VALUE strings, each key once, no NUL or line break in a value, and every swarm template placeholder closed ({{.Node.Hostname}}); ${SERVICE_OWNED_ENV.join(", ")} are set by the service and refused here.`,
  },
  {
    key: "taskRestartDelaySeconds",
    type: "integer",
    default: 0,
    description:
      "Delay before swarm restarts or reschedules a failed WAS task (it also delays the replacement of a task lost with its node). 0: at once; a crash-looping task then restarts as fast as containers start (swarm has no back-off), so raise it for an image that may crash-loop.",
  },
  {
    key: "chaosEnabled",
    type: "boolean",
    default: false,
    description: "Run the chaos drill during `pulumi up`, after the WAS service is deployed.",
  },
  {
    key: "chaosTarget",
    type: "string",
    default: "worker",
    description:
      "What the drill stops: worker, manager, edge (a balancer pair), or a swarm node name (swarm-manager-0, swarm-worker-1, ...).",
  },
  {
    key: "chaosDeadlineSeconds",
    type: "integer",
    default: 60,
    description:
      "How long the drill waits for the replicas to be restored before failing (10 to 1800). With chaosEnabled it must cover the latest a killed node is marked Down, 3 x (dispatcherHeartbeatSeconds + 0.5), plus taskRestartDelaySeconds.",
  },
  {
    key: "chaosFault",
    type: "string",
    default: DEFAULT_FAULT,
    description: `What the drill does to its target: ${FAULT_KINDS.map((k) => `${k} (${CHAOS_FAULT_ON_AWS[k]})`).join(", ")}.`,
  },
];

/**
 * The default of a config key as CONFIG_KEYS states it: a component default lives once, in
 * CONFIG_KEYS, so a caller that leaves an argument out gets what `pulumi config` would have given.
 */
export function schemaDefault<T extends string | number | boolean>(
  key: string,
  type: "string" | "number" | "boolean",
): T {
  const value = CONFIG_KEYS.find((k) => k.key === key)?.default;
  if (typeof value !== type)
    throw new Error(`config/schema.ts has no ${type} default for config key "${key}"`);
  return value as T;
}

/**
 * The shortest dispatcherHeartbeatSeconds: renderers/swarmBootstrap.ts MIN_HEARTBEAT_SECONDS (why it is
 * 0.5 is explained there; a test holds the two equal, config/ imports nothing from renderers/).
 */
export const MIN_HEARTBEAT_SECONDS = 0.5;

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
  /** The private key itself is read as a secret by config/config.ts; here only whether one is configured. */
  readonly ssh: { readonly keyConfigured: boolean; readonly user: string };
  /** The AMI's Ubuntu release (base/ubuntu.ts). */
  readonly ubuntuRelease: UbuntuRelease;
  readonly instanceFamilies: readonly string[];
  readonly managers: {
    readonly count: 1 | 3 | 5;
    readonly instanceType: string;
    readonly runTasks: boolean;
  };
  readonly workers: { readonly count: number; readonly instanceType: string };
  readonly swarm: {
    readonly dispatcherHeartbeatSeconds: number;
    readonly taskRestartDelaySeconds: number;
  };
  readonly nfs: { readonly instanceType: string; readonly exportPath: string };
  /** Where the WAS logs live (parseLogStore). */
  readonly logStore: { readonly kind: LogStoreKind; readonly acceptZoneLoss: boolean };
  readonly edge: { readonly nodes: 1 | 2; readonly instanceType: string };
  readonly was: {
    readonly image?: string;
    readonly sampleBaseImage: string;
    readonly replicas: number;
    readonly port: number;
    readonly healthPath: string;
    readonly env: Readonly<Record<string, string>>;
  };
  readonly chaos: {
    readonly enabled: boolean;
    readonly target: string;
    readonly deadlineSeconds: number;
    readonly fault: FaultKind;
  };
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
  if (typeof v !== "string") throw new ConfigError(key, `must be a string (got ${quote(v)})`);
  return v;
}

/** Re-exported: the quoting lives in base/quote (the chaos CLI prints values the same way). */
export { quote };

/** The command that sets a key: every fix a message suggests is written this way (a test feeds each back). */
export function setCommand(key: string, value: string | number | boolean): string {
  return `\`pulumi config set ${key} ${value}\``;
}

/**
 * A whole number within [min, max]. `expected` replaces both "a whole number" and "between min and
 * max" in the message (managerCount says "1, 3 or 5", not ±2^53). A number past 2^53 is shown as
 * typed, not as 1e+20.
 */
function int(values: RawConfig, key: string, min: number, max: number, expected?: string): number {
  const v = raw(values, key);
  const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
  const whole = typeof v === "number" ? Number.isInteger(v) : /^-?\d+$/.test(text);
  if (!whole)
    throw new ConfigError(key, `must be ${expected ?? "a whole number"} (got ${quote(v)})`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(
      key,
      `must be ${expected ?? `between ${min} and ${max}`} (got ${text.replace(/^(-?)0+(?=\d)/, "$1")})`,
    );
  }
  return n;
}

/** A decimal number within [min, max] with at most `decimals` decimals (a Pulumi string or a number). */
function decimal(
  values: RawConfig,
  key: string,
  min: number,
  max: number,
  decimals: number,
): number {
  const v = raw(values, key);
  const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
  if (!new RegExp(`^\\d+(\\.\\d{1,${decimals}})?$`).test(text)) {
    throw new ConfigError(
      key,
      `must be a number of seconds with at most ${decimals} decimals, e.g. 0.5 (got ${quote(v)})`,
    );
  }
  const n = Number(text);
  if (n < min || n > max)
    throw new ConfigError(key, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

function bool(values: RawConfig, key: string): boolean {
  const v = raw(values, key);
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  throw new ConfigError(key, `must be true or false (got ${quote(v)})`);
}

function list(values: RawConfig, key: string): string[] {
  let v = raw(values, key);
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      throw new ConfigError(
        key,
        `must be a list, e.g. \`pulumi config set --path '${key}[0]' value\` (got ${quote(v)})`,
      );
    }
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new ConfigError(key, `must be a list of strings (got ${quote(v)})`);
  }
  return v;
}

/** Re-exported: the parser lives in base/ipv4 (one for the renderers, stacks, lab and components). */
export { parseCidr };

/**
 * A CIDR as the user typed it, returned in its normal form ("010.042.000.000/16" is
 * "10.42.0.0/16"): every resource gets the same spelling, whatever was typed.
 */
function cidr(values: RawConfig, key: string): Cidr {
  const v = str(values, key).trim();
  const parsed = parseCidr(v);
  if (!parsed) throw new ConfigError(key, `${quote(v)} is not an IPv4 CIDR like 10.42.0.0/16`);
  if ((parsed.base & netmask(parsed.prefix)) >>> 0 !== parsed.base) {
    const network = formatCidr({
      base: (parsed.base & netmask(parsed.prefix)) >>> 0,
      prefix: parsed.prefix,
    });
    throw new ConfigError(
      key,
      `${quote(v)} has host bits set; use the network address of that prefix (${setCommand(key, network)})`,
    );
  }
  return parsed;
}

const cidrOf = (text: string): Cidr => parseCidr(text)!;

/** True when `inner` lies entirely inside `outer`. */
function within(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && (inner.base & netmask(outer.prefix)) >>> 0 === outer.base;
}

/** Address blocks no host can have (RFC 6890): what each is, for a message. */
const SPECIAL_RANGES: ReadonlyArray<readonly [Cidr, string]> = [
  [cidrOf("0.0.0.0/8"), '"this network" (0.0.0.0/8), never a source address'],
  [cidrOf("127.0.0.0/8"), "loopback (127.0.0.0/8), which never leaves a host"],
  [cidrOf("169.254.0.0/16"), "link-local (169.254.0.0/16), which no router forwards"],
  [cidrOf("224.0.0.0/4"), "multicast (224.0.0.0/4)"],
  [cidrOf("240.0.0.0/4"), "reserved (240.0.0.0/4, broadcast included)"],
];

/** The private ranges (RFC 1918) a VPC is carved from. */
export const PRIVATE_RANGES: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** Why no SSH connection can ever come from this range, or undefined when one can. */
function unreachableSource(c: Cidr): string | undefined {
  return SPECIAL_RANGES.find(([range]) => within(c, range))?.[1];
}

/** AWS reserves the first four addresses and the last one of every subnet. */
export const AWS_RESERVED_PER_SUBNET = 5;

/** Prefix of the subnets carved from a VPC of this prefix: components/networkPlan.ts splits it in 8 (a test holds the two equal). */
export function subnetPrefixOf(vpcPrefix: number): number {
  return vpcPrefix + 3;
}

/** Addresses an instance can get in a subnet of this prefix. */
export function usableAddresses(subnetPrefix: number): number {
  return 2 ** (32 - subnetPrefix) - AWS_RESERVED_PER_SUBNET;
}

const INSTANCE_TYPE = /^([a-z][a-z0-9-]*)\.([a-z0-9-]+)$/;

/** Every EC2 instance type, as the @pulumi/aws package ships the list (its ec2.InstanceType enum). */
export const EC2_INSTANCE_TYPES: ReadonlySet<string> = new Set(Object.values(AWS_INSTANCE_TYPES));

/** The types of one family, in the order a user reads them (smallest first, metal last). */
function typesOf(family: string): string[] {
  const rank = (size: string): number => {
    const named = ["nano", "micro", "small", "medium", "large", "xlarge"].indexOf(size);
    if (named >= 0) return named;
    const x = /^(\d+)xlarge$/.exec(size);
    return x ? 5 + Number(x[1]) : 1000;
  };
  return [...EC2_INSTANCE_TYPES]
    .filter((t) => t.slice(0, t.indexOf(".")) === family)
    .sort(
      (a, b) =>
        rank(a.slice(family.length + 1)) - rank(b.slice(family.length + 1)) || a.localeCompare(b),
    );
}

/**
 * The CPU architecture of an instance type: Graviton families (a1, and a generation digit followed
 * by "g": t4g, m7g, c6gn, x2gd, ...) are arm64, the rest x86_64. Ubuntu's AMI is looked up for it
 * (components/machine.ts ubuntuAmi).
 */
export function instanceArchitecture(type: string): "arm64" | "x86_64" {
  const family = type.slice(0, type.indexOf(".") < 0 ? type.length : type.indexOf("."));
  return family === "a1" || /^[a-z]+\d+g/.test(family) || /-gb\d/.test(family) ? "arm64" : "x86_64";
}

/** Families that cannot run this program's Ubuntu instances at all, with why. */
function unusableFamily(family: string): string | undefined {
  if (family.startsWith("mac")) return "Mac instances run macOS on a dedicated host, not Ubuntu";
  return undefined;
}

function parseFamilies(values: RawConfig): string[] {
  const families = list(values, "instanceFamilies");
  if (families.length === 0)
    throw new ConfigError("instanceFamilies", 'must name at least one family, e.g. ["t3"]');
  const known = new Set([...EC2_INSTANCE_TYPES].map((t) => t.slice(0, t.indexOf("."))));
  families.forEach((f, i) => {
    const fix = `remove it (\`pulumi config rm --path 'instanceFamilies[${i}]'\`) or name a family such as t3, m7i or m7g`;
    if (f.trim() === "")
      throw new ConfigError("instanceFamilies", `entry ${i} is blank (${quote(f)}); ${fix}`);
    if (!known.has(f))
      throw new ConfigError(
        "instanceFamilies",
        `entry ${i}, ${quote(f)}, is not an EC2 instance family; ${fix}`,
      );
    const unusable = unusableFamily(f);
    if (unusable)
      throw new ConfigError("instanceFamilies", `entry ${i}, ${quote(f)}: ${unusable}; ${fix}`);
  });
  return families;
}

function instanceType(values: RawConfig, key: string, families: readonly string[]): string {
  const v = str(values, key).trim();
  const m = INSTANCE_TYPE.exec(v);
  if (!m) throw new ConfigError(key, `${quote(v)} is not an EC2 instance type like t3.small`);
  if (!families.includes(m[1])) {
    throw new ConfigError(
      key,
      `instance family ${quote(m[1])} is not allowed; use one of ${families.join(", ")} or add it to instanceFamilies`,
    );
  }
  if (!EC2_INSTANCE_TYPES.has(v)) {
    const sizes = typesOf(m[1]);
    const example =
      sizes.find((t) => t.endsWith(".small")) ??
      sizes.find((t) => t.endsWith(".large")) ??
      sizes[0];
    throw new ConfigError(
      key,
      `${quote(v)} is not an EC2 instance type; ${m[1]} comes in ${sizes.join(", ")}: e.g. ${setCommand(key, example)}`,
    );
  }
  return v;
}

/**
 * Managers and workers run the same WAS image: one architecture for the swarm, or a single-arch
 * image could not run on half the nodes. (The NFS server and the balancers may differ: each gets the
 * AMI of its own type.)
 */
function checkSwarmArchitecture(managerType: string, workerType: string): void {
  const m = instanceArchitecture(managerType);
  const w = instanceArchitecture(workerType);
  if (m === w) return;
  throw new ConfigError(
    "workerInstanceType",
    `${workerType} is ${w} but managerInstanceType ${managerType} is ${m}: swarm nodes of two architectures cannot all run one ` +
      `single-architecture WAS image, so a replica could not be restored on every node; pick workers of the managers' ` +
      `architecture, e.g. ${setCommand("workerInstanceType", managerType)}`,
  );
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
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
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

/**
 * A warning for a key whose namespace is a near miss of the project's (case, "-", "_" or "."
 * aside, or within two edits), naming the key it was meant to be; undefined for every other key.
 * Pulumi reads such a key as another package's setting, so without the warning it is ignored.
 */
export function namespaceNearMiss(project: string, fullKey: string): string | undefined {
  const colon = fullKey.indexOf(":");
  if (colon < 0) return undefined;
  const ns = fullKey.slice(0, colon);
  const key = fullKey.slice(colon + 1);
  if (ns === project) return undefined;
  const squash = (s: string) => s.toLowerCase().replace(/[-_.\s]/g, "");
  const near =
    squash(ns) === squash(project) ||
    distance(ns, project) <= 2 ||
    (squash(ns).length >= 4 && squash(project).includes(squash(ns)));
  if (!near) return undefined;
  const known = KEY_BY_NAME.has(key) ? key : suggestKey(key);
  const meant = `${project}:${known ?? key}`;
  return (
    `config key ${quote(fullKey)} is ignored: ${quote(ns)} is not this project's namespace (${project}), so nothing reads it; ` +
    `did you mean ${meant}? Move it with \`pulumi config rm ${fullKey}\` and \`pulumi config set ${known ?? key} <value>\``
  );
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

const ADMIN_EXAMPLE = "203.0.113.7/32";

function parseVpcCidr(values: RawConfig): string {
  const vpc = cidr(values, "vpcCidr");
  const vpcCidr = formatCidr(vpc);
  if (vpc.prefix < 16 || vpc.prefix > 24) {
    throw new ConfigError(
      "vpcCidr",
      `prefix must be /16 to /24 for AWS subnets to fit (got /${vpc.prefix}); e.g. ${setCommand("vpcCidr", "10.42.0.0/16")}`,
    );
  }
  if (!PRIVATE_RANGES.some((r) => within(vpc, cidrOf(r)))) {
    const special = SPECIAL_RANGES.find(([range]) => within(vpc, range))?.[1];
    const why = special
      ? `is ${special}: AWS refuses it for a VPC`
      : "is outside the private ranges (RFC 1918): inside the VPC those addresses would mean the VPC, hiding the internet hosts or carrier networks that own them";
    throw new ConfigError(
      "vpcCidr",
      `${vpcCidr} ${why}; use a private range (${PRIVATE_RANGES.join(", ")}), e.g. ${setCommand("vpcCidr", "10.42.0.0/16")}`,
    );
  }
  return vpcCidr;
}

function parseNetwork(values: RawConfig): SwarmHaConfig["network"] {
  const vpcCidr = parseVpcCidr(values);
  const admin = cidr(values, "adminCidr");
  const adminCidr = formatCidr(admin);
  const adminPrefix = admin.prefix;
  const allowWide = bool(values, "allowWideAdminCidr");
  if (adminPrefix === 0) {
    throw new ConfigError(
      "adminCidr",
      `0.0.0.0/0 would open SSH to the internet; use your address, e.g. ${setCommand("adminCidr", ADMIN_EXAMPLE)}`,
    );
  }
  const unreachable = unreachableSource(admin);
  if (unreachable) {
    throw new ConfigError(
      "adminCidr",
      `${adminCidr} is ${unreachable}: no SSH connection can come from there, so provisioning and the drill could never log in; ` +
        `use the address you run pulumi from, e.g. ${setCommand("adminCidr", ADMIN_EXAMPLE)}`,
    );
  }
  if (adminPrefix < MIN_ADMIN_PREFIX && !allowWide) {
    throw new ConfigError(
      "adminCidr",
      `${adminCidr} opens SSH to ${2 ** (32 - adminPrefix)} addresses (wider than /${MIN_ADMIN_PREFIX}); use your address, ` +
        `e.g. ${setCommand("adminCidr", ADMIN_EXAMPLE)}, or if the range really is yours set ${setCommand("allowWideAdminCidr", true)} ` +
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
function parseCounts(values: RawConfig): {
  managers: 1 | 3 | 5;
  workers: number;
  runTasks: boolean;
} {
  // Every bad value, 2, 0, 7 or 99999999999999999999, gets the same "1, 3 or 5" message.
  const expected = "1, 3 or 5 so the managers keep a Raft quorum";
  const managers = int(values, "managerCount", 1, 5, expected);
  if (managers !== 1 && managers !== 3 && managers !== 5)
    throw new ConfigError("managerCount", `must be ${expected} (got ${managers})`);
  return {
    managers,
    workers: int(values, "workerCount", 1, 100),
    runTasks: bool(values, "managersRunTasks"),
  };
}

/** Most workers a stack may have (workerCount's range). */
const MAX_WORKERS = 100;

/**
 * The fixes that make `replicas` restorable after one node's loss, each accepted on its own: fewer
 * replicas (never below the minimum), more workers, or managers that run tasks.
 */
function replicaFixes(counts: ReturnType<typeof parseCounts>, replicas: number): string[] {
  const fixes: string[] = [];
  const slots = wasSlots(counts.managers, counts.workers, counts.runTasks);
  if (slots - 1 >= MIN_WAS_REPLICAS && slots - 1 < replicas)
    fixes.push(`lower wasReplicas: ${setCommand("wasReplicas", slots - 1)}`);
  const workers = Math.max(counts.workers, replicas + 1 - (counts.runTasks ? counts.managers : 0));
  if (workers > counts.workers && workers <= MAX_WORKERS)
    fixes.push(`add workers: ${setCommand("workerCount", workers)}`);
  if (!counts.runTasks && wasSlots(counts.managers, counts.workers, true) - 1 >= replicas) {
    fixes.push(`let the managers run tasks: ${setCommand("managersRunTasks", true)}`);
  }
  return fixes;
}

function parseReplicas(values: RawConfig, counts: ReturnType<typeof parseCounts>): number {
  const replicas = int(values, "wasReplicas", 1, 1000);
  if (replicas < MIN_WAS_REPLICAS) {
    const slots = wasSlots(counts.managers, counts.workers, counts.runTasks);
    const fixes =
      slots - 1 >= MIN_WAS_REPLICAS
        ? [setCommand("wasReplicas", MIN_WAS_REPLICAS)]
        : replicaFixes(counts, MIN_WAS_REPLICAS).map(
            (f) => `${setCommand("wasReplicas", MIN_WAS_REPLICAS)} and ${f}`,
          );
    throw new ConfigError(
      "wasReplicas",
      `must be at least ${MIN_WAS_REPLICAS} (got ${replicas}): one replica cannot serve while it is rescheduled, ` +
        `and the policy pack's was-service-resilient refuses it; ${fixes.join(", or ")}`,
    );
  }
  const slots = wasSlots(counts.managers, counts.workers, counts.runTasks);
  if (replicas > slots - 1) {
    const fixes = replicaFixes(counts, replicas);
    throw new ConfigError(
      "wasReplicas",
      `${replicas} replicas cannot all be restored after one node is lost: only ${slots} nodes can run a task ` +
        `(one task per node, host-mode port); ${fixes.length ? fixes.join(", or ") : `at most ${MAX_WORKERS} workers cannot carry them: lower wasReplicas`}`,
    );
  }
  return replicas;
}

/**
 * With surviveAzLoss, the stack must keep serving when the availability zone holding the most
 * task-eligible nodes goes dark: a manager quorum, a balancer and a node for every replica left.
 * Placement is config/topology.ts's (the rule components/swarmCluster.ts places instances by).
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
    throw new ConfigError(
      "surviveAzLoss",
      "needs at least two availability zones; set availabilityZones 3 (or 2), or surviveAzLoss false",
    );
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
    throw new ConfigError(
      "surviveAzLoss",
      "one balancer lives in one zone; set edgeNodes 2 (a pair in two zones)",
    );
  }
  const leftAfterZoneLoss = (workers: number) => {
    const p = nodesPerZone(counts.managers, workers, zones);
    const eligible = p.workers.map((w, z) => w + (counts.runTasks ? p.managers[z] : 0));
    return {
      eligible,
      worst: Math.max(...eligible),
      left: eligible.reduce((a, b) => a + b, 0) - Math.max(...eligible),
    };
  };
  const { eligible, worst, left } = leftAfterZoneLoss(counts.workers);
  if (replicas > left) {
    const fixes: string[] = [];
    let workers = counts.workers + 1;
    while (workers <= MAX_WORKERS && leftAfterZoneLoss(workers).left < replicas) workers++;
    if (workers <= MAX_WORKERS)
      fixes.push(`add workers until ${replicas} remain: ${setCommand("workerCount", workers)}`);
    if (left >= MIN_WAS_REPLICAS)
      fixes.push(`lower wasReplicas to ${left}: ${setCommand("wasReplicas", left)}`);
    fixes.push(setCommand("surviveAzLoss", false));
    throw new ConfigError(
      "wasReplicas",
      `${replicas} replicas do not fit after losing an availability zone: eligible nodes per zone are ` +
        `${eligible.join("/")}, so losing the fullest (${worst}) leaves ${left}; ${fixes.join(", or ")}`,
    );
  }
}

/**
 * Every cluster subnet must hold what the topology puts in it: the zone's managers and workers
 * (config/topology.ts placement) and, in the first zone, the NFS server; AWS keeps 5 addresses of
 * each subnet. (Edge subnets hold at most one balancer each.) The fix names the longest VPC prefix
 * whose subnets fit, on the same base address.
 */
function checkSubnetsFit(
  network: SwarmHaConfig["network"],
  counts: ReturnType<typeof parseCounts>,
): void {
  const per = nodesPerZone(counts.managers, counts.workers, network.availabilityZones);
  const inZone = per.managers.map((m, z) => m + per.workers[z] + (z === 0 ? 1 : 0));
  const need = Math.max(...inZone);
  const vpc = cidrOf(network.vpcCidr);
  const subnetPrefix = subnetPrefixOf(vpc.prefix);
  if (need <= usableAddresses(subnetPrefix)) return;
  let prefix = vpc.prefix;
  while (usableAddresses(subnetPrefixOf(prefix)) < need) prefix--;
  const fix = formatCidr({ base: (vpc.base & netmask(prefix)) >>> 0, prefix });
  throw new ConfigError(
    "vpcCidr",
    `${network.vpcCidr} is split into /${subnetPrefix} subnets of ${usableAddresses(subnetPrefix)} usable addresses each ` +
      `(AWS reserves ${AWS_RESERVED_PER_SUBNET}), but the fullest cluster subnet would hold ${need} instances ` +
      `(managers, workers and the NFS server per zone: ${inZone.join("/")}); use a /${prefix} or wider, e.g. ${setCommand("vpcCidr", fix)}, ` +
      `or spread the nodes over more zones (availabilityZones)`,
  );
}

/** Linux's limits on a path (bytes, with the final NUL) and on one of its names (linux/limits.h). */
const PATH_MAX = 4096;
const NAME_MAX = 255;

/** The log stores logStore accepts: components/nfsServer.ts (instance) and components/efsLogStore.ts (efs). */
export const LOG_STORES = ["instance", "efs"] as const;
export type LogStoreKind = (typeof LOG_STORES)[number];

/**
 * logStore, and its part of the surviveAzLoss check: an EFS file system has a mount target in every
 * cluster subnet (a node mounts the one in its own zone), so it is no zone dependency; the instance
 * store lives in the first zone, and a replica lost with that zone cannot start (its task mounts the
 * share when it starts) until the server is back. With surviveAzLoss that is refused unless
 * acceptLogStoreZoneLoss says the stack accepts it (docs/log-store.md).
 */
function parseLogStore(
  values: RawConfig,
  network: SwarmHaConfig["network"],
): SwarmHaConfig["logStore"] {
  const kind = str(values, "logStore").trim();
  if (!(LOG_STORES as readonly string[]).includes(kind)) {
    throw new ConfigError(
      "logStore",
      `${quote(kind)} is not a log store; use one of ${LOG_STORES.join(", ")} (pulumi config set logStore efs)`,
    );
  }
  const acceptZoneLoss = bool(values, "acceptLogStoreZoneLoss");
  if (kind === "instance" && network.surviveAzLoss && !acceptZoneLoss) {
    throw new ConfigError(
      "logStore",
      "instance keeps the WAS logs on one server in the first availability zone: losing that zone leaves the replica " +
        "lost with it unable to start (its task mounts the share when it starts) until the server is back, so the stack " +
        "does not survive the zone loss whole. Set `pulumi config set logStore efs` (a mount target in every zone), or " +
        "accept the dependency with `pulumi config set acceptLogStoreZoneLoss true`, or set surviveAzLoss false",
    );
  }
  return { kind: kind as LogStoreKind, acceptZoneLoss };
}

/** Only a dedicated directory below this may be exported (it is chowned to nobody and shared read-write). */
export const NFS_EXPORT_ROOT = "/srv/";

function parseExportPath(values: RawConfig): string {
  const given = str(values, "nfsExportPath").trim();
  const fix = `use a dedicated directory below ${NFS_EXPORT_ROOT}, e.g. ${setCommand("nfsExportPath", "/srv/nfs/was-logs")}`;
  const shown =
    given.length > 80
      ? `${quote(given.slice(0, 60))}... (${given.length} characters)`
      : quote(given);
  if (!given.startsWith("/") || !/^[A-Za-z0-9._\/-]+$/.test(given)) {
    throw new ConfigError(
      "nfsExportPath",
      `must be an absolute directory path (got ${shown}); ${fix}`,
    );
  }
  if (given.split("/").includes("..")) {
    throw new ConfigError("nfsExportPath", `${shown} has a ".." segment; ${fix}`);
  }
  const path = posixPath.normalize(given).replace(/\/+$/, "");
  if (path.length >= PATH_MAX) {
    throw new ConfigError(
      "nfsExportPath",
      `${shown} is ${path.length} bytes long; Linux paths stop at ${PATH_MAX - 1} (PATH_MAX ${PATH_MAX}, with the final NUL); ${fix}`,
    );
  }
  const long = path.split("/").find((part) => part.length > NAME_MAX);
  if (long !== undefined) {
    throw new ConfigError(
      "nfsExportPath",
      `${shown} has a ${long.length}-character directory name; Linux names stop at ${NAME_MAX} (NAME_MAX); ${fix}`,
    );
  }
  if (!path.startsWith(NFS_EXPORT_ROOT) || path.length <= NFS_EXPORT_ROOT.length) {
    throw new ConfigError(
      "nfsExportPath",
      `${shown} is ${path === "" ? "/" : path}, not a directory below ${NFS_EXPORT_ROOT}: the server chowns the export to ` +
        `nobody and shares it read-write with every node; ${fix}`,
    );
  }
  return path;
}

function parseWasPort(values: RawConfig): number {
  const port = int(values, "wasPort", 1, 65535);
  const taken = reservedPorts().get(port);
  if (taken !== undefined) {
    throw new ConfigError(
      "wasPort",
      `${port} is already used by the topology (${taken}); pick a free port such as 8080`,
    );
  }
  if (port < 1024) throw new ConfigError("wasPort", `must be between 1024 and 65535 (got ${port})`);
  return port;
}

/**
 * Why swarm would refuse a service env value as a Go template (it expands {{...}} placeholders such
 * as {{.Node.Hostname}} in every task's env, and a task whose template does not parse is rejected),
 * or undefined when every action is closed and not empty.
 */
export function templateProblem(value: string): string | undefined {
  let at = 0;
  for (;;) {
    const open = value.indexOf("{{", at);
    if (open < 0) return undefined;
    const close = value.indexOf("}}", open + 2);
    const nextOpen = value.indexOf("{{", open + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close))
      return `the template action opened at character ${open} is never closed with "}}"`;
    if (
      value
        .slice(open + 2, close)
        .replace(/^-\s|\s-$/g, "")
        .trim() === ""
    )
      return `the template action at character ${open} is empty`;
    at = close + 2;
  }
}

function parseEnv(values: RawConfig): Record<string, string> {
  const env: Record<string, string> = {};
  const entries = list(values, "wasEnv");
  for (const [i, entry] of entries.entries()) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(entry);
    if (!m) throw new ConfigError("wasEnv", `${quote(entry)} is not KEY=VALUE`);
    const remove = `remove it with \`pulumi config rm --path 'wasEnv[${i}]'\``;
    if (/[\0\r\n]/.test(m[2])) {
      throw new ConfigError(
        "wasEnv",
        `the value of ${m[1]} in ${quote(entry)} has a NUL or line break, which a container environment cannot carry; ${remove} or set it on one line`,
      );
    }
    const template = templateProblem(m[2]);
    if (template) {
      throw new ConfigError(
        "wasEnv",
        `${quote(entry)}: ${template}, so swarm would reject every task; close it (e.g. ${m[1]}={{.Node.Hostname}}) or ${remove}`,
      );
    }
    const first = entries.findIndex((e) => e.startsWith(`${m[1]}=`));
    if (first !== i) {
      throw new ConfigError(
        "wasEnv",
        `${m[1]} is set twice (${quote(entries[first])} and ${quote(entry)}), and the last would win silently; ${remove}`,
      );
    }
    if ((SERVICE_OWNED_ENV as readonly string[]).includes(m[1])) {
      const instead: Record<string, string> = { PORT: "wasPort", HEALTH_PATH: "wasHealthPath" };
      throw new ConfigError(
        "wasEnv",
        `${m[1]} is set by the service itself (${SERVICE_OWNED_ENV.join(", ")}); remove ${quote(entry)}` +
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

function parseChaos(
  values: RawConfig,
  counts: ReturnType<typeof parseCounts>,
  edgeNodes: number,
): SwarmHaConfig["chaos"] {
  const target = str(values, "chaosTarget").trim();
  const valid = chaosTargets(counts.managers, counts.workers);
  if (!valid.includes(target)) {
    throw new ConfigError(
      "chaosTarget",
      `${quote(target)} is not a target of this stack; use one of ${valid.join(", ")}`,
    );
  }
  const enabled = bool(values, "chaosEnabled");
  const isManager =
    target === "manager" ||
    [...Array(counts.managers).keys()].some((i) => swarmNodeName("manager", i) === target);
  if (enabled && isManager && counts.managers === 1) {
    throw new ConfigError(
      "chaosTarget",
      "cannot stop the only manager: the swarm could not reschedule; use worker or managerCount 3",
    );
  }
  if (enabled && target === "edge" && edgeNodes === 1) {
    throw new ConfigError(
      "chaosTarget",
      "cannot stop the only balancer; use worker or set edgeNodes 2",
    );
  }
  const fault = str(values, "chaosFault").trim();
  if (!isFaultKind(fault)) {
    throw new ConfigError(
      "chaosFault",
      `${quote(fault)} is not a fault kind; use one of ${FAULT_KINDS.join(", ")} (${setCommand("chaosFault", "kill")})`,
    );
  }
  return { enabled, target, deadlineSeconds: int(values, "chaosDeadlineSeconds", 10, 1800), fault };
}

/** Reads an SSH string (uint32 length + bytes) at `at`; undefined when it runs past the end. */
function sshString(buf: Buffer, at: number): { value: Buffer; next: number } | undefined {
  if (at + 4 > buf.length) return undefined;
  const len = buf.readUInt32BE(at);
  if (at + 4 + len > buf.length) return undefined;
  return { value: buf.subarray(at + 4, at + 4 + len), next: at + 4 + len };
}

/** The cipher name and the public key blob of an OpenSSH private key's unencrypted header. */
function opensshHeader(pem: string): { cipher: string; publicBlob: Buffer } | undefined {
  const openssh =
    /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem);
  if (!openssh) return undefined;
  const buf = Buffer.from(openssh[1].replace(/\s+/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (buf.subarray(0, magic.length).toString("latin1") !== magic) return undefined;
  const cipher = sshString(buf, magic.length);
  const kdf = cipher && sshString(buf, cipher.next);
  const kdfOptions = kdf && sshString(buf, kdf.next);
  if (!kdfOptions || kdfOptions.next + 4 > buf.length) return undefined;
  const publicBlob = sshString(buf, kdfOptions.next + 4);
  return publicBlob && { cipher: cipher.value.toString("latin1"), publicBlob: publicBlob.value };
}

/**
 * The key type of a private key ("rsa", "ed25519", "ec", ...), and whether a passphrase protects
 * it. OpenSSH keys are read from their unencrypted public part (PROTOCOL.key in OpenSSH's sources:
 * magic, cipher, kdf, kdf options, key count, public key blob); PEM/PKCS#8 keys by node:crypto.
 */
export function privateKeyType(pem: string): { type: string; encrypted: boolean } | undefined {
  if (/-----BEGIN OPENSSH PRIVATE KEY-----/.test(pem)) {
    const header = opensshHeader(pem);
    const keyType = header && sshString(header.publicBlob, 0);
    if (!header || !keyType) return undefined;
    const name = keyType.value.toString("latin1");
    const type =
      name === "ssh-rsa"
        ? "rsa"
        : name === "ssh-ed25519"
          ? "ed25519"
          : name.startsWith("ecdsa-")
            ? "ec"
            : name;
    return { type, encrypted: header.cipher !== "none" };
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
  const set =
    "set it with `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`, or `pulumi config rm sshPrivateKey` to generate one";
  const found = privateKeyType(key);
  if (!found)
    throw new ConfigError(
      "sshPrivateKey",
      `must be an OpenSSH or PEM private key (-----BEGIN OPENSSH PRIVATE KEY-----...); ${set}`,
    );
  if (found.encrypted) {
    throw new ConfigError(
      "sshPrivateKey",
      `is protected by a passphrase, which provisioning over SSH cannot enter; use a key without one; ${set}`,
    );
  }
  if (found.type !== "rsa" && found.type !== "ed25519") {
    throw new ConfigError(
      "sshPrivateKey",
      `is a ${found.type.toUpperCase()} key; EC2 key pairs take only RSA or ED25519 (ssh-keygen -t ed25519); ${set}`,
    );
  }
  const problem = privateKeyProblem(key);
  if (problem) throw new ConfigError("sshPrivateKey", `${problem}; ${set}`);
  return true;
}

/** Fewest bits of an RSA key (NIST SP 800-131A; OpenSSH and EC2 take shorter ones, but they are breakable). */
export const MIN_RSA_BITS = 2048;

/**
 * What is wrong with an unencrypted RSA or ED25519 private key beyond its header, or undefined: the
 * private part is parsed in full (OpenSSH: ssh2's parser; PEM: node:crypto), it must sign what its
 * own public key verifies (a key cut after its public part, or with another key's or junk private
 * part, does not), and an RSA key must have MIN_RSA_BITS or more.
 */
export function privateKeyProblem(text: string): string | undefined {
  let pem: string;
  if (/-----BEGIN OPENSSH PRIVATE KEY-----/.test(text)) {
    const parsed = ssh2Utils.parseKey(text);
    if (parsed instanceof Error)
      return `its private part cannot be read (${parsed.message}): is the key complete, copied from -----BEGIN to -----END?`;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    const data = Buffer.from("swarm-ha key check");
    let signs: boolean;
    try {
      signs = key.verify(data, key.sign(data)) === true;
    } catch {
      signs = false;
    }
    if (!signs || !key.getPublicSSH().equals(opensshHeader(text)?.publicBlob ?? Buffer.alloc(0))) {
      return "its private part does not match its public part (a damaged or spliced key)";
    }
    pem = key.getPrivatePEM();
  } else pem = text;
  let bits: number | undefined;
  try {
    bits = createPrivateKey(pem).asymmetricKeyDetails?.modulusLength;
  } catch (e) {
    return `its private part cannot be read (${e instanceof Error ? e.message : String(e)})`;
  }
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    return `is a ${bits}-bit RSA key; use ${MIN_RSA_BITS} bits or more (ssh-keygen -t rsa -b 4096) or ED25519 (ssh-keygen -t ed25519)`;
  }
  return undefined;
}

/** Linux's longest login name (useradd refuses longer ones). */
const MAX_LOGIN_NAME = 32;

function parseSshUser(values: RawConfig): string {
  const user = str(values, "sshUser");
  const fix = `the Ubuntu AMI's user is ubuntu: ${setCommand("sshUser", "ubuntu")}`;
  if (!/^[a-z_][a-z0-9_-]*$/.test(user))
    throw new ConfigError("sshUser", `${quote(user)} is not a valid login name; ${fix}`);
  if (user.length > MAX_LOGIN_NAME) {
    throw new ConfigError(
      "sshUser",
      `${quote(user)} is ${user.length} characters; Linux login names stop at ${MAX_LOGIN_NAME}; ${fix}`,
    );
  }
  if (user === "root") {
    throw new ConfigError(
      "sshUser",
      `root cannot log in: Ubuntu's images refuse SSH logins as root (cloud-init disables them); ${fix}`,
    );
  }
  return user;
}

const HEALTH_PATH_MAX = 1024;

function parseHealthPath(values: RawConfig): string {
  const path = str(values, "wasHealthPath");
  const fix = `e.g. ${setCommand("wasHealthPath", "/healthz")}`;
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(path) || path.length > HEALTH_PATH_MAX) {
    throw new ConfigError(
      "wasHealthPath",
      `must be an absolute URL path like /healthz of at most ${HEALTH_PATH_MAX} characters (got ${path.length > 80 ? `${quote(path.slice(0, 60))}...` : quote(path)}); ${fix}`,
    );
  }
  const segments = path.slice(1).split("/");
  if (segments.some((s) => s === "." || s === "..")) {
    throw new ConfigError(
      "wasHealthPath",
      `${quote(path)} has a "." or ".." segment: HTTP clients and proxies resolve those (to ${posixPath.normalize(path)}), so the check would not ask for the path written; ${fix}`,
    );
  }
  if (segments.slice(0, -1).includes("")) {
    throw new ConfigError(
      "wasHealthPath",
      `${quote(path)} has an empty segment ("//"), which servers read differently (merged or not); ${fix}`,
    );
  }
  return path;
}

/**
 * Why a Docker image reference is malformed, by the distribution reference grammar
 * (github.com/distribution/reference regexp.go), or undefined. Repository path components are
 * lowercase; a tag is `[\w][\w.-]{0,127}` (uppercase allowed: app:V1 is valid); a sha256 digest is 64
 * lowercase hex digits. The first component is a registry when it has a "." or ":" or is localhost.
 */
export function imageReferenceProblem(ref: string): string | undefined {
  const m = /^([^@]+?)(?::([^:@/]+))?(?:@(.+))?$/.exec(ref);
  if (!m) return "is not NAME[:TAG][@DIGEST]";
  const [, name, tag, digest] = m;
  if (name.length > 255) return `has a name of ${name.length} characters (at most 255)`;
  const parts = name.split("/");
  const registry =
    parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost")
      ? parts.shift()!
      : undefined;
  if (registry !== undefined) {
    const host =
      /^((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::\d+)?$/;
    if (!host.test(registry)) return `has a malformed registry ${quote(registry)}`;
  }
  const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
  const bad = parts.find((p) => !component.test(p));
  if (bad !== undefined)
    return `has a malformed repository path component ${quote(bad)} (lowercase letters and digits, separated by ".", "_", "__" or "-")`;
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag))
    return `has a malformed tag ${quote(tag)} (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`;
  if (tag === undefined && /:/.test(name.split("/").pop()!)) return "has a malformed tag";
  if (
    digest !== undefined &&
    !/^sha256:[a-f0-9]{64}$/.test(digest) &&
    !/^sha512:[a-f0-9]{128}$/.test(digest)
  ) {
    return `has a malformed digest ${quote(digest)} (sha256: and 64 lowercase hex digits)`;
  }
  return undefined;
}

function parseImage(
  values: RawConfig,
  key: "wasImage" | "wasSampleBaseImage",
  example: string,
): string {
  const v = str(values, key).trim();
  if (v === "") return v;
  const problem = imageReferenceProblem(v);
  if (problem)
    throw new ConfigError(
      key,
      `${quote(v)} ${problem}; use an image reference like registry.example.com/app:1.2, e.g. ${setCommand(key, example)}`,
    );
  const at = v.indexOf("@");
  const name = at < 0 ? v : v.slice(0, at);
  const tagAt = name.lastIndexOf(":");
  const tag = tagAt > name.lastIndexOf("/") ? name.slice(tagAt + 1) : undefined;
  if (at < 0 && (tag === undefined || tag === "latest")) {
    const repo = tag === undefined ? name : name.slice(0, tagAt);
    throw new ConfigError(
      key,
      `${quote(v)} ${tag === undefined ? "names no tag, so swarm pulls :latest" : "is :latest"}, which moves: each node may run whatever was ` +
        `newest when it pulled, and a rescheduled replica a different build; pin a version you pushed, e.g. ${setCommand(key, `${repo}:1.0.0`)}, or a digest (${repo}@sha256:...)`,
    );
  }
  return v;
}

/** swarmkit's dispatcher: a node is Down after this many missed heartbeat periods (GracePeriodMultiplierNode)... */
export const HEARTBEAT_GRACE_MULTIPLIER = 3;
/** ...each period drawn with this much jitter either way (the dispatcher's heartbeat epsilon). */
export const HEARTBEAT_EPSILON_SECONDS = 0.5;

/** The latest a killed node is marked Down after its last beat, in seconds. */
export function worstDownSeconds(heartbeatSeconds: number): number {
  return HEARTBEAT_GRACE_MULTIPLIER * (heartbeatSeconds + HEARTBEAT_EPSILON_SECONDS);
}

/**
 * The drill's deadline must cover the slowest Down plus the restart delay of the replaced task:
 * below that, the drill fails on every unlucky draw however well the stack heals.
 */
function checkChaosDeadline(chaos: SwarmHaConfig["chaos"], swarm: SwarmHaConfig["swarm"]): void {
  if (!chaos.enabled) return;
  const least = (hb: number, delay: number) => Math.ceil(worstDownSeconds(hb) + delay - 1e-9);
  const need = least(swarm.dispatcherHeartbeatSeconds, swarm.taskRestartDelaySeconds);
  if (chaos.deadlineSeconds >= need) return;
  const fixes = [setCommand("chaosDeadlineSeconds", need)];
  const defaultHb = KEY_BY_NAME.get("dispatcherHeartbeatSeconds")!.default as number;
  if (
    swarm.dispatcherHeartbeatSeconds > defaultHb &&
    least(defaultHb, swarm.taskRestartDelaySeconds) <= chaos.deadlineSeconds
  ) {
    fixes.push(setCommand("dispatcherHeartbeatSeconds", defaultHb));
  }
  if (
    swarm.taskRestartDelaySeconds > 0 &&
    least(swarm.dispatcherHeartbeatSeconds, 0) <= chaos.deadlineSeconds
  ) {
    fixes.push(setCommand("taskRestartDelaySeconds", 0));
  }
  throw new ConfigError(
    "chaosDeadlineSeconds",
    `${chaos.deadlineSeconds} s cannot pass: a killed node is marked Down up to ${HEARTBEAT_GRACE_MULTIPLIER} x ` +
      `(${swarm.dispatcherHeartbeatSeconds} + ${HEARTBEAT_EPSILON_SECONDS}) = ${Number(worstDownSeconds(swarm.dispatcherHeartbeatSeconds).toFixed(3))} s after its last beat ` +
      `(dispatcherHeartbeatSeconds ${swarm.dispatcherHeartbeatSeconds}) and its replica restarts ${swarm.taskRestartDelaySeconds} s later ` +
      `(taskRestartDelaySeconds ${swarm.taskRestartDelaySeconds}), so the smallest deadline that could pass is ${need} s: ${fixes.join(", or ")}`,
  );
}

/**
 * Validates and defaults every key. Throws a ConfigError naming the first bad key and the fix;
 * callers run this before creating any resource.
 */
export function parseConfig(values: RawConfig): SwarmHaConfig {
  rejectUnknownKeys(values);
  const network = parseNetwork(values);
  const families = parseFamilies(values);
  const counts = parseCounts(values);
  checkSubnetsFit(network, counts);
  const replicas = parseReplicas(values, counts);
  const env = parseEnv(values);
  const healthPath = parseHealthPath(values);
  const exportPath = parseExportPath(values);
  const edgeNodes = int(values, "edgeNodes", 1, 2) as 1 | 2;
  if (edgeNodes === 2 && network.availabilityZones < 2) {
    throw new ConfigError(
      "edgeNodes",
      `a balancer pair needs two availability zones so one zone's loss keeps a balancer; ${setCommand("availabilityZones", 2)}, or ${setCommand("edgeNodes", 1)}`,
    );
  }
  checkAzLoss(network, counts, replicas, edgeNodes);
  const logStore = parseLogStore(values, network);
  const chaos = parseChaos(values, counts, edgeNodes);
  const keyConfigured = parseSshKey(values);
  const sshUser = parseSshUser(values);
  const ubuntuRelease = str(values, "ubuntuRelease");
  if (!(UBUNTU_RELEASES as readonly string[]).includes(ubuntuRelease)) {
    throw new ConfigError(
      "ubuntuRelease",
      `must be ${UBUNTU_RELEASES.join(" or ")} (got ${quote(ubuntuRelease)}); set it with pulumi config set ubuntuRelease ${DEFAULT_UBUNTU_RELEASE}`,
    );
  }
  const wasImage = parseImage(values, "wasImage", "registry.example.com/app:1.0.0");
  const sampleBaseImage = parseImage(values, "wasSampleBaseImage", "node:22-alpine");
  if (sampleBaseImage === "")
    throw new ConfigError("wasSampleBaseImage", "must name a Node.js image, e.g. node:22-alpine");
  const managerInstanceType = instanceType(values, "managerInstanceType", families);
  const workerInstanceType = instanceType(values, "workerInstanceType", families);
  checkSwarmArchitecture(managerInstanceType, workerInstanceType);
  const swarm = {
    dispatcherHeartbeatSeconds: decimal(
      values,
      "dispatcherHeartbeatSeconds",
      MIN_HEARTBEAT_SECONDS,
      60,
      3,
    ),
    taskRestartDelaySeconds: int(values, "taskRestartDelaySeconds", 0, 60),
  };
  checkChaosDeadline(chaos, swarm);

  return {
    network,
    ssh: { keyConfigured, user: sshUser },
    ubuntuRelease: ubuntuRelease as UbuntuRelease,
    instanceFamilies: families,
    managers: {
      count: counts.managers,
      instanceType: managerInstanceType,
      runTasks: counts.runTasks,
    },
    workers: { count: counts.workers, instanceType: workerInstanceType },
    swarm,
    nfs: { instanceType: instanceType(values, "nfsInstanceType", families), exportPath },
    logStore,
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
