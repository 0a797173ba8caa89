import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  CONFIG_KEYS,
  ConfigError,
  DEFAULT_INSTANCE_FAMILIES,
  MIN_HEARTBEAT_SECONDS,
  parseConfig,
  parseCidr,
  privateKeyType,
  RawConfig,
  wasSlots,
} from "../../config/schema";
import { MIN_HEARTBEAT_SECONDS as RENDERER_MIN_HEARTBEAT } from "../../renderers/swarmBootstrap";

/** A fresh private key in OpenSSH format, as `ssh-keygen` writes it (what users paste). */
function sshKeygen(type: "ed25519" | "rsa" | "ecdsa", passphrase = ""): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), "swarm-ha-key-"));
  try {
    const file = path.join(dir, "id");
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      type,
      ...(type === "rsa" ? ["-b", "2048"] : []),
      "-N",
      passphrase,
      "-C",
      "test",
      "-f",
      file,
    ]);
    return fs.readFileSync(file, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The same kinds of key in PEM (PKCS#1 / SEC1 / PKCS#8), as openssl or older ssh-keygen write them. */
function pemKey(type: "rsa" | "ec" | "ed25519"): string {
  if (type === "rsa")
    return generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs1", format: "pem" })
      .toString();
  if (type === "ec")
    return generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "sec1", format: "pem" })
      .toString();
  return generateKeyPairSync("ed25519")
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
}

/** The one key every stack must set; a documentation address (RFC 5737), not anyone's real IP. */
const ADMIN = { adminCidr: "198.51.100.7/32" } as const;

/** Runs parseConfig on the defaults plus `values` and returns the ConfigError it must throw. */
function rejects(values: RawConfig): ConfigError {
  try {
    parseConfig({ ...ADMIN, ...values });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError, got ${String(e)}`, { cause: e });
  }
  throw new Error(`expected ${JSON.stringify(values)} to be rejected`);
}

/**
 * Every bad-config case: the values, the key the error must name, and a pattern for the fix the
 * message must give. The message always starts `config key "<key>":`.
 */
const BAD: Array<[label: string, values: RawConfig, key: string, fix: RegExp]> = [
  ["0 workers", { workerCount: "0" }, "workerCount", /between 1 and 100 \(got 0\)/],
  ["101 workers", { workerCount: 101 }, "workerCount", /between 1 and 100 \(got 101\)/],
  ["workers not a number", { workerCount: "three" }, "workerCount", /whole number \(got "three"\)/],
  [
    "2 managers",
    { managerCount: "2" },
    "managerCount",
    /must be 1, 3 or 5 .*Raft quorum \(got 2\)/,
  ],
  ["4 managers", { managerCount: 4 }, "managerCount", /must be 1, 3 or 5/],
  ["7 managers", { managerCount: "7" }, "managerCount", /must be 1, 3 or 5 .*\(got 7\)/],
  ["0 managers", { managerCount: "0" }, "managerCount", /must be 1, 3 or 5 .*\(got 0\)/],
  [
    "3 replicas on 3 workers with managers drained",
    { wasReplicas: "3", workerCount: "3", managersRunTasks: "false" },
    "wasReplicas",
    /3 replicas cannot all be restored after one node is lost: only 3 nodes can run a task.*`pulumi config set wasReplicas 2`.*`pulumi config set workerCount 4`.*`pulumi config set managersRunTasks true`$/,
  ],
  [
    "4 replicas on 3 workers + 1 manager",
    { wasReplicas: 4, workerCount: 3, managerCount: 1 },
    "wasReplicas",
    /only 4 nodes can run a task.*lower wasReplicas: `pulumi config set wasReplicas 3`, or add workers: `pulumi config set workerCount 4`$/,
  ],
  [
    "1 replica (the policy pack's was-service-resilient refuses it)",
    { wasReplicas: 1, workerCount: 1, managersRunTasks: false },
    "wasReplicas",
    /must be at least 2 \(got 1\).*was-service-resilient refuses it; `pulumi config set wasReplicas 2` and add workers: `pulumi config set workerCount 3`$/,
  ],
  [
    "2 replicas on 2 workers with managers drained",
    { wasReplicas: 2, workerCount: 2, managersRunTasks: false },
    "wasReplicas",
    /only 2 nodes can run a task .*; add workers: `pulumi config set workerCount 3`, or let the managers run tasks: `pulumi config set managersRunTasks true`$/,
  ],
  [
    "malformed vpcCidr",
    { vpcCidr: "10.42.0.0" },
    "vpcCidr",
    /"10\.42\.0\.0" is not an IPv4 CIDR like 10\.42\.0\.0\/16/,
  ],
  ["octet over 255", { vpcCidr: "10.300.0.0/16" }, "vpcCidr", /not an IPv4 CIDR/],
  ["prefix over 32", { adminCidr: "198.51.100.7/33" }, "adminCidr", /not an IPv4 CIDR/],
  [
    "vpcCidr host bits",
    { vpcCidr: "10.42.1.0/16" },
    "vpcCidr",
    /host bits set; use the network address/,
  ],
  [
    "adminCidr host bits",
    { adminCidr: "198.51.100.7/24" },
    "adminCidr",
    /host bits set; use the network address/,
  ],
  ["vpcCidr too large", { vpcCidr: "10.0.0.0/8" }, "vpcCidr", /\/16 to \/24 .*got \/8/],
  ["vpcCidr too small", { vpcCidr: "10.42.0.0/28" }, "vpcCidr", /\/16 to \/24 .*got \/28/],
  [
    "SSH from anywhere",
    { adminCidr: "0.0.0.0/0" },
    "adminCidr",
    /0\.0\.0\.0\/0 would open SSH to the internet; use your address, e.g\. `pulumi config set adminCidr 203\.0\.113\.7\/32`/,
  ],
  [
    "SSH from half the internet",
    { adminCidr: "0.0.0.0/1" },
    "adminCidr",
    /0\.0\.0\.0\/1 opens SSH to 2147483648 addresses \(wider than \/16\).*`pulumi config set allowWideAdminCidr true`.*minIpv4PrefixLength/,
  ],
  ["SSH from a /8", { adminCidr: "10.0.0.0/8" }, "adminCidr", /wider than \/16/],
  ["SSH from a /15", { adminCidr: "10.0.0.0/15" }, "adminCidr", /wider than \/16/],
  [
    "/0 even with the opt-in",
    { adminCidr: "0.0.0.0/0", allowWideAdminCidr: "true" },
    "adminCidr",
    /would open SSH to the internet/,
  ],
  [
    "opt-in not a boolean",
    { allowWideAdminCidr: "yes" },
    "allowWideAdminCidr",
    /must be true or false \(got "yes"\)/,
  ],
  [
    "adminCidr missing",
    { adminCidr: undefined },
    "adminCidr",
    /is required; set it with `pulumi config set adminCidr <value>`/,
  ],
  [
    "adminCidr empty",
    { adminCidr: "" },
    "adminCidr",
    /is required; set it with `pulumi config set adminCidr/,
  ],
  [
    "unknown instance type pattern",
    { workerInstanceType: "t3-small" },
    "workerInstanceType",
    /"t3-small" is not an EC2 instance type like t3\.small/,
  ],
  [
    "unknown size",
    { managerInstanceType: "t3.huge" },
    "managerInstanceType",
    /not an EC2 instance type/,
  ],
  [
    "disallowed family",
    { edgeInstanceType: "x2iedn.large" },
    "edgeInstanceType",
    /instance family "x2iedn" is not allowed; use one of t3, t3a, m6i, m7i, c6i, c7i or add it to instanceFamilies/,
  ],
  [
    "family outside a custom list",
    {
      instanceFamilies: '["m6i"]',
      managerInstanceType: "m6i.large",
      workerInstanceType: "m6i.large",
      edgeInstanceType: "m6i.large",
      nfsInstanceType: "t3.micro",
    },
    "nfsInstanceType",
    /family "t3" is not allowed; use one of m6i/,
  ],
  ["empty family list", { instanceFamilies: [] }, "instanceFamilies", /at least one family/],
  [
    "family list not JSON",
    { instanceFamilies: "t3,m6i" },
    "instanceFamilies",
    /must be a list, e\.g\. `pulumi config set --path 'instanceFamilies\[0\]' value`/,
  ],
  ["wasEnv entry without =", { wasEnv: '["LOG_LEVEL"]' }, "wasEnv", /"LOG_LEVEL" is not KEY=VALUE/],
  ["wasEnv key starting with a digit", { wasEnv: ["1X=y"] }, "wasEnv", /"1X=y" is not KEY=VALUE/],
  ["wasEnv not a list of strings", { wasEnv: [1, 2] }, "wasEnv", /list of strings/],
  [
    "wasEnv PORT",
    { wasEnv: ["PORT=9000"] },
    "wasEnv",
    /PORT is set by the service itself .*remove "PORT=9000" and set wasPort instead$/,
  ],
  ["wasEnv HEALTH_PATH", { wasEnv: ["HEALTH_PATH=/x"] }, "wasEnv", /set wasHealthPath instead$/],
  ...(["LOG_DIR", "TASK_NAME", "TASK_SLOT", "NODE_NAME"] as const).map(
    (k): [string, RawConfig, string, RegExp] => [
      `wasEnv ${k}`,
      { wasEnv: [`${k}=x`] },
      "wasEnv",
      new RegExp(`^config key "wasEnv": ${k} is set by the service itself`),
    ],
  ),
  [
    "unknown key (a typo)",
    { workerCont: "3" },
    "workerCont",
    /is not a swarm-ha setting; did you mean workerCount\? Remove it with `pulumi config rm workerCont` and set `pulumi config set workerCount <value>`/,
  ],
  ["unknown key, wrong case", { WASPORT: "8080" }, "WASPORT", /did you mean wasPort\?/],
  [
    "unknown key, nothing close",
    { banana: "1" },
    "banana",
    /^config key "banana": is not a swarm-ha setting\. Remove it with `pulumi config rm banana`; known keys are listed in Pulumi\.yaml$/,
  ],
  [
    "namespaced key passed through",
    { "swarm-ha:workerCount": "3" },
    "swarm-ha:workerCount",
    /not a swarm-ha setting/,
  ],
  [
    "chaos on the only manager",
    { chaosEnabled: "true", chaosTarget: "manager", managerCount: "1" },
    "chaosTarget",
    /cannot stop the only manager.*use worker or managerCount 3/,
  ],
  [
    "chaos on the only balancer",
    { chaosEnabled: true, chaosTarget: "edge", edgeNodes: 1 },
    "chaosTarget",
    /cannot stop the only balancer; use worker or set edgeNodes 2/,
  ],
  [
    "chaos target with shell characters",
    { chaosTarget: "worker; reboot" },
    "chaosTarget",
    /"worker; reboot" is not a target of this stack; use one of worker, manager, edge, swarm-manager-0, swarm-worker-0, swarm-worker-1, swarm-worker-2$/,
  ],
  [
    "chaos target bogus",
    { chaosTarget: "bogus" },
    "chaosTarget",
    /"bogus" is not a target of this stack; use one of worker, manager, edge, swarm-manager-0,/,
  ],
  [
    "chaos target: a worker the stack does not have",
    { chaosTarget: "swarm-worker-3" },
    "chaosTarget",
    /"swarm-worker-3" is not a target/,
  ],
  [
    "chaos target: a name the program never gives",
    { chaosTarget: "swarm-ha-dev-worker-1" },
    "chaosTarget",
    /is not a target of this stack/,
  ],
  [
    "chaos on the only manager by name",
    { chaosEnabled: "true", chaosTarget: "swarm-manager-0", managerCount: "1" },
    "chaosTarget",
    /cannot stop the only manager/,
  ],
  ["3 edge nodes", { edgeNodes: "3" }, "edgeNodes", /between 1 and 2 \(got 3\)/],
  [
    "a balancer pair in one zone",
    { edgeNodes: 2, availabilityZones: 1 },
    "edgeNodes",
    /needs two availability zones.*`pulumi config set availabilityZones 2`, or `pulumi config set edgeNodes 1`$/,
  ],
  ["availabilityZones 4", { availabilityZones: 4 }, "availabilityZones", /between 1 and 3/],
  [
    "boolean typo",
    { encryptOverlay: "yes" },
    "encryptOverlay",
    /must be true or false \(got "yes"\)/,
  ],
  ["privileged WAS port", { wasPort: 1000 }, "wasPort", /between 1024 and 65535 \(got 1000\)/],
  ["WAS port 0", { wasPort: 0 }, "wasPort", /between 1 and 65535 \(got 0\)/],
  ...(
    [
      [22, /SSH/],
      [80, /nginx \(HTTP\)/],
      [111, /rpcbind/],
      [443, /nginx \(HTTPS\)/],
      [2049, /NFSv4/],
      [2377, /swarm cluster management/],
      [7946, /node gossip, tcp; node gossip, udp/],
      [4789, /overlay VXLAN data, udp/],
    ] as const
  ).map(([port, why]): [string, RawConfig, string, RegExp] => [
    `WAS port ${port}, already used by the topology`,
    { wasPort: port },
    "wasPort",
    new RegExp(
      `^config key "wasPort": ${port} is already used by the topology \\(.*${why.source}.*\\); pick a free port such as 8080$`,
    ),
  ]),
  [
    "relative health path",
    { wasHealthPath: "healthz" },
    "wasHealthPath",
    /absolute URL path like \/healthz/,
  ],
  [
    "export path with ..",
    { nfsExportPath: "/srv/../etc" },
    "nfsExportPath",
    /"\/srv\/\.\.\/etc" has a "\.\." segment; use a dedicated directory below \/srv\//,
  ],
  [
    "export path with a trailing ..",
    { nfsExportPath: "/srv/nfs/.." },
    "nfsExportPath",
    /has a "\.\." segment/,
  ],
  [
    "export path /.",
    { nfsExportPath: "/." },
    "nfsExportPath",
    /"\/\." is \/, not a directory below \/srv\/: the server chowns the export to nobody/,
  ],
  [
    "export path //",
    { nfsExportPath: "//" },
    "nfsExportPath",
    /"\/\/" is \/, not a directory below \/srv\//,
  ],
  ["export path /", { nfsExportPath: "/" }, "nfsExportPath", /is \/, not a directory below/],
  [
    "export path /etc",
    { nfsExportPath: "/etc" },
    "nfsExportPath",
    /"\/etc" is \/etc, not a directory below \/srv\//,
  ],
  [
    "export path /usr/share/logs",
    { nfsExportPath: "/usr/share/logs" },
    "nfsExportPath",
    /not a directory below \/srv\//,
  ],
  [
    "export path /srv itself",
    { nfsExportPath: "/srv" },
    "nfsExportPath",
    /"\/srv" is \/srv, not a directory below/,
  ],
  [
    "export path /srv/.",
    { nfsExportPath: "/srv/." },
    "nfsExportPath",
    /is \/srv, not a directory below/,
  ],
  [
    "export path /srvx/logs",
    { nfsExportPath: "/srvx/logs" },
    "nfsExportPath",
    /not a directory below \/srv\//,
  ],
  [
    "relative export path",
    { nfsExportPath: "srv/nfs/logs" },
    "nfsExportPath",
    /must be an absolute directory path \(got "srv\/nfs\/logs"\)/,
  ],
  [
    "export path with a space",
    { nfsExportPath: "/srv/my logs" },
    "nfsExportPath",
    /must be an absolute directory path/,
  ],
  [
    "heartbeat 0",
    { dispatcherHeartbeatSeconds: 0 },
    "dispatcherHeartbeatSeconds",
    /between 0.5 and 60 \(got 0\)/,
  ],
  [
    "heartbeat 0.25",
    { dispatcherHeartbeatSeconds: "0.25" },
    "dispatcherHeartbeatSeconds",
    /between 0.5 and 60 \(got 0.25\)/,
  ],
  [
    "heartbeat 61",
    { dispatcherHeartbeatSeconds: "61" },
    "dispatcherHeartbeatSeconds",
    /between 0.5 and 60 \(got 61\)/,
  ],
  [
    "heartbeat with a unit",
    { dispatcherHeartbeatSeconds: "500ms" },
    "dispatcherHeartbeatSeconds",
    /must be a number of seconds with at most 3 decimals, e.g. 0.5 \(got "500ms"\)/,
  ],
  [
    "heartbeat finer than 1 ms",
    { dispatcherHeartbeatSeconds: "0.7505" },
    "dispatcherHeartbeatSeconds",
    /at most 3 decimals/,
  ],
  [
    "negative heartbeat",
    { dispatcherHeartbeatSeconds: "-1" },
    "dispatcherHeartbeatSeconds",
    /must be a number of seconds/,
  ],
  [
    "chaos deadline too short",
    { chaosDeadlineSeconds: 5 },
    "chaosDeadlineSeconds",
    /between 10 and 1800/,
  ],
  [
    "unknown chaos fault",
    { chaosFault: "reboot" },
    "chaosFault",
    /"reboot" is not a fault kind; use one of stop, kill, partition/,
  ],
  [
    "bad image reference",
    { wasImage: "Registry/App:1" },
    "wasImage",
    /"Registry\/App:1" has a malformed repository path component "Registry".*use an image reference like registry\.example\.com\/app:1\.2/,
  ],
  [
    "public key instead of private",
    { sshPrivateKey: "ssh-ed25519 AAAAC3Nza" },
    "sshPrivateKey",
    /OpenSSH or PEM private key.*pulumi config set --secret sshPrivateKey/,
  ],
  [
    "surviveAzLoss not a boolean",
    { surviveAzLoss: "yes" },
    "surviveAzLoss",
    /must be true or false/,
  ],
  [
    "surviveAzLoss in one zone",
    { surviveAzLoss: true, availabilityZones: 1 },
    "surviveAzLoss",
    /needs at least two availability zones/,
  ],
  [
    "surviveAzLoss with one manager",
    { surviveAzLoss: true, availabilityZones: 3, edgeNodes: 2 },
    "surviveAzLoss",
    /leaves 0 of 1 managers, below the Raft quorum of 1; set managerCount 3 with availabilityZones 3/,
  ],
  [
    "surviveAzLoss with 3 managers over 2 zones",
    { surviveAzLoss: true, availabilityZones: 2, managerCount: 3, edgeNodes: 2 },
    "surviveAzLoss",
    /leaves 1 of 3 managers, below the Raft quorum of 2/,
  ],
  [
    "surviveAzLoss with one balancer",
    { surviveAzLoss: true, availabilityZones: 3, managerCount: 3, edgeNodes: 1 },
    "surviveAzLoss",
    /set edgeNodes 2/,
  ],
  [
    "surviveAzLoss: yesterday's prod (4 workers over 3 zones, managers drained, 3 replicas)",
    {
      surviveAzLoss: true,
      availabilityZones: 3,
      managerCount: 3,
      managersRunTasks: false,
      workerCount: 4,
      edgeNodes: 2,
      wasReplicas: 3,
    },
    "wasReplicas",
    /3 replicas do not fit after losing an availability zone: eligible nodes per zone are 1\/2\/1, so losing the fullest \(2\) leaves 2; add workers until 3 remain: `pulumi config set workerCount 5`, or lower wasReplicas to 2: `pulumi config set wasReplicas 2`, or `pulumi config set surviveAzLoss false`$/,
  ],
  ["bad login name", { sshUser: "Ubuntu User" }, "sshUser", /not a valid login name/],
  [
    "unknown log store",
    { logStore: "s3" },
    "logStore",
    /"s3" is not a log store; use one of instance, efs \(pulumi config set logStore efs\)$/,
  ],
  [
    "surviveAzLoss with the one-zone NFS instance as log store",
    {
      surviveAzLoss: true,
      availabilityZones: 3,
      managerCount: 3,
      managersRunTasks: false,
      workerCount: 5,
      edgeNodes: 2,
      logStore: "instance",
    },
    "logStore",
    /instance keeps the WAS logs on one server in the first availability zone.*`pulumi config set logStore efs`.*`pulumi config set acceptLogStoreZoneLoss true`/,
  ],
  [
    "acceptLogStoreZoneLoss not a boolean",
    { acceptLogStoreZoneLoss: "maybe" },
    "acceptLogStoreZoneLoss",
    /must be true or false/,
  ],
  [
    "an Ubuntu release without EC2 support here",
    { ubuntuRelease: "22.04" },
    "ubuntuRelease",
    /must be 24\.04 or 26\.04 \(got "22\.04"\)/,
  ],
];

describe("parseConfig rejects bad configuration, naming the key and the fix", () => {
  it.each(BAD)("%s", (_label, values, key, fix) => {
    const err = rejects(values);
    expect(err.key).toBe(key);
    expect(err.message.startsWith(`config key "${key}": `)).toBe(true);
    expect(err.message).toMatch(fix);
  });

  it("covers every key of CONFIG_KEYS that has a validation of its own", () => {
    // Keys whose every value is acceptable (free text with a safe default) need no bad case.
    const free = new Set([
      "wasSampleBaseImage",
      "taskRestartDelaySeconds",
      "managersRunTasks",
      "chaosEnabled",
    ]);
    const tested = new Set(BAD.map(([, , key]) => key));
    const untested = CONFIG_KEYS.map((k) => k.key).filter((k) => !tested.has(k) && !free.has(k));
    expect(untested).toEqual([]);
  });

  it("does not reject chaos on the only manager or balancer while the drill is off", () => {
    expect(() =>
      parseConfig({ ...ADMIN, chaosTarget: "manager", chaosEnabled: false }),
    ).not.toThrow();
    expect(() => parseConfig({ ...ADMIN, chaosTarget: "edge", edgeNodes: 1 })).not.toThrow();
  });
});

describe("parseConfig happy paths", () => {
  it("applies every default when only adminCidr is set", () => {
    const cfg = parseConfig(ADMIN);
    expect(cfg).toEqual({
      network: {
        vpcCidr: "10.42.0.0/16",
        availabilityZones: 2,
        surviveAzLoss: false,
        adminCidr: "198.51.100.7/32",
        allowWideAdminCidr: false,
        encryptOverlay: false,
      },
      ssh: { keyConfigured: false, user: "ubuntu" },
      ubuntuRelease: "24.04",
      instanceFamilies: [...DEFAULT_INSTANCE_FAMILIES],
      managers: { count: 1, instanceType: "t3.small", runTasks: true },
      workers: { count: 3, instanceType: "t3.small" },
      swarm: { dispatcherHeartbeatSeconds: 0.6, taskRestartDelaySeconds: 0 },
      nfs: { instanceType: "t3.micro", exportPath: "/srv/nfs/was-logs" },
      logStore: { kind: "instance", acceptZoneLoss: false },
      edge: { nodes: 1, instanceType: "t3.micro" },
      was: {
        image: undefined,
        sampleBaseImage: "node:22-alpine",
        replicas: 3,
        port: 8080,
        healthPath: "/healthz",
        env: {},
      },
      chaos: { enabled: false, target: "worker", deadlineSeconds: 60, fault: "stop" },
    });
  });

  it("takes a fractional heartbeat as a pulumi string or a number, down to the renderer's floor", () => {
    expect(
      parseConfig({ ...ADMIN, dispatcherHeartbeatSeconds: "0.75" }).swarm
        .dispatcherHeartbeatSeconds,
    ).toBe(0.75);
    expect(
      parseConfig({ ...ADMIN, dispatcherHeartbeatSeconds: 0.5 }).swarm.dispatcherHeartbeatSeconds,
    ).toBe(0.5);
    expect(
      parseConfig({ ...ADMIN, dispatcherHeartbeatSeconds: "2" }).swarm.dispatcherHeartbeatSeconds,
    ).toBe(2);
    // config/ imports nothing from renderers/: the two floors are held equal here.
    expect(MIN_HEARTBEAT_SECONDS).toBe(RENDERER_MIN_HEARTBEAT);
  });

  it("the defaults leave a free slot for a lost node's replica", () => {
    const cfg = parseConfig(ADMIN);
    expect(wasSlots(cfg.managers.count, cfg.workers.count, cfg.managers.runTasks)).toBeGreaterThan(
      cfg.was.replicas,
    );
  });

  it("accepts values as `pulumi config` passes them: strings, JSON lists, booleans as text", () => {
    const cfg = parseConfig({
      ...ADMIN,
      managerCount: "3",
      workerCount: " 5 ",
      managersRunTasks: "false",
      wasReplicas: "4",
      instanceFamilies: '["t3","m6i"]',
      wasEnv: '["LOG_LEVEL=debug","GREETING=a=b"]',
      encryptOverlay: "true",
      workerInstanceType: "m6i.2xlarge",
    });
    expect(cfg.managers).toEqual({ count: 3, instanceType: "t3.small", runTasks: false });
    expect(cfg.workers).toEqual({ count: 5, instanceType: "m6i.2xlarge" });
    expect(cfg.was.env).toEqual({ LOG_LEVEL: "debug", GREETING: "a=b" });
    expect(cfg.network.encryptOverlay).toBe(true);
  });

  it("allows the tightest placement that can still restore: replicas = eligible nodes - 1", () => {
    expect(
      parseConfig({ ...ADMIN, workerCount: 3, managersRunTasks: false, wasReplicas: 2 }).was
        .replicas,
    ).toBe(2);
    expect(
      parseConfig({ ...ADMIN, workerCount: 100, managerCount: 5, wasReplicas: 104 }).was.replicas,
    ).toBe(104);
  });

  it("accepts a /16 admin range, and a wider one only with the explicit opt-in", () => {
    expect(parseConfig({ adminCidr: "10.20.0.0/16" }).network.adminCidr).toBe("10.20.0.0/16");
    expect(
      parseConfig({ adminCidr: "10.0.0.0/8", allowWideAdminCidr: "true" }).network,
    ).toMatchObject({
      adminCidr: "10.0.0.0/8",
      allowWideAdminCidr: true,
    });
  });

  it("normalises a dedicated export path below /srv/", () => {
    expect(parseConfig({ ...ADMIN, nfsExportPath: "/srv//nfs/./was-logs/" }).nfs.exportPath).toBe(
      "/srv/nfs/was-logs",
    );
    expect(parseConfig({ ...ADMIN, nfsExportPath: "/srv/logs" }).nfs.exportPath).toBe("/srv/logs");
  });

  it("surviveAzLoss: 5 workers over 3 zones (1/2/2) keep 3 replicas after losing any zone", () => {
    const prodLike = {
      managerCount: 3,
      managersRunTasks: false,
      availabilityZones: 3,
      edgeNodes: 2,
      wasReplicas: 3,
      surviveAzLoss: true,
      logStore: "efs",
    };
    expect(parseConfig({ ...ADMIN, ...prodLike, workerCount: 5 }).network.surviveAzLoss).toBe(true);
    // Managers that run tasks count as eligible: 4 workers + 3 managers is 2/3/2, 4 left.
    expect(() =>
      parseConfig({ ...ADMIN, ...prodLike, workerCount: 4, managersRunTasks: true }),
    ).not.toThrow();
    // The same 4 workers without the promise pass the single-node check alone.
    expect(() =>
      parseConfig({ ...ADMIN, ...prodLike, workerCount: 4, surviveAzLoss: false }),
    ).not.toThrow();
  });

  it("allows chaos on a manager with 3 managers and on an edge with a pair", () => {
    expect(
      parseConfig({ ...ADMIN, chaosEnabled: true, chaosTarget: "manager", managerCount: 3 }).chaos
        .target,
    ).toBe("manager");
    expect(
      parseConfig({ ...ADMIN, chaosEnabled: true, chaosTarget: "edge", edgeNodes: 2 }).chaos.target,
    ).toBe("edge");
    expect(
      parseConfig({ ...ADMIN, chaosEnabled: true, chaosTarget: "swarm-worker-1" }).chaos.target,
    ).toBe("swarm-worker-1");
    expect(
      parseConfig({ ...ADMIN, chaosEnabled: true, chaosTarget: "swarm-manager-2", managerCount: 3 })
        .chaos.target,
    ).toBe("swarm-manager-2");
  });

  it("accepts a configured private key without exposing it", () => {
    const key = sshKeygen("ed25519");
    const cfg = parseConfig({ ...ADMIN, sshPrivateKey: key });
    expect(cfg.ssh.keyConfigured).toBe(true);
    expect(JSON.stringify(cfg)).not.toContain(key.split("\n")[1]);
  });
});

describe("sshPrivateKey: only what an EC2 key pair takes (RSA, ED25519), without a passphrase", () => {
  const rejectsKey = (key: string) => rejects({ sshPrivateKey: key });

  it("refuses an ECDSA key in OpenSSH format, naming the types EC2 takes", () => {
    const err = rejectsKey(sshKeygen("ecdsa"));
    expect(err.key).toBe("sshPrivateKey");
    expect(err.message).toMatch(
      /is a EC key; EC2 key pairs take only RSA or ED25519 \(ssh-keygen -t ed25519\); set it with `pulumi config set --secret sshPrivateKey/,
    );
  });

  it("refuses an EC key in PEM (SEC1)", () => {
    expect(rejectsKey(pemKey("ec")).message).toMatch(
      /is a EC key; EC2 key pairs take only RSA or ED25519/,
    );
  });

  it("refuses a key protected by a passphrase", () => {
    expect(rejectsKey(sshKeygen("ed25519", "secret phrase")).message).toMatch(
      /protected by a passphrase/,
    );
  });

  it("refuses text that only looks like a key", () => {
    const fake =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    expect(rejectsKey(fake).message).toMatch(/must be an OpenSSH or PEM private key/);
  });

  it("reads the type of real keys in both formats", () => {
    expect(privateKeyType(sshKeygen("ed25519"))).toEqual({ type: "ed25519", encrypted: false });
    expect(privateKeyType(sshKeygen("rsa"))).toEqual({ type: "rsa", encrypted: false });
    expect(privateKeyType(sshKeygen("ecdsa"))).toEqual({ type: "ec", encrypted: false });
    expect(privateKeyType(pemKey("rsa"))).toEqual({ type: "rsa", encrypted: false });
    expect(privateKeyType(pemKey("ed25519"))).toEqual({ type: "ed25519", encrypted: false });
  });

  it("accepts RSA and ED25519 keys, OpenSSH or PEM", () => {
    for (const key of [sshKeygen("ed25519"), sshKeygen("rsa"), pemKey("rsa"), pemKey("ed25519")]) {
      expect(parseConfig({ ...ADMIN, sshPrivateKey: key }).ssh.keyConfigured).toBe(true);
    }
  });
});

describe("parseCidr", () => {
  it("parses strictly", () => {
    expect(parseCidr("10.42.0.0/16")).toEqual({ base: 0x0a2a0000, prefix: 16 });
    expect(parseCidr("255.255.255.255/32")).toEqual({ base: 0xffffffff, prefix: 32 });
    for (const bad of [
      "10.42.0/16",
      "10.42.0.0/",
      "10.42.0.0/33",
      "256.0.0.0/8",
      "a.b.c.d/8",
      "10.42.0.0/16/1",
    ]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });
});
