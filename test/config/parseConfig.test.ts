import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, ConfigError, DEFAULT_INSTANCE_FAMILIES, parseConfig, parseCidr, RawConfig, wasSlots } from "../../stacks/schema";

/** The one key every stack must set; a documentation address (RFC 5737), not anyone's real IP. */
const ADMIN = { adminCidr: "198.51.100.7/32" } as const;

/** Runs parseConfig on the defaults plus `values` and returns the ConfigError it must throw. */
function rejects(values: RawConfig): ConfigError {
  try {
    parseConfig({ ...ADMIN, ...values });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError, got ${String(e)}`);
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
  ["2 managers", { managerCount: "2" }, "managerCount", /must be 1, 3 or 5 .*Raft quorum \(got 2\)/],
  ["4 managers", { managerCount: 4 }, "managerCount", /must be 1, 3 or 5/],
  ["7 managers", { managerCount: "7" }, "managerCount", /must be 1, 3 or 5 .*\(got 7\)/],
  ["0 managers", { managerCount: "0" }, "managerCount", /must be 1, 3 or 5 .*\(got 0\)/],
  [
    "3 replicas on 3 workers with managers drained",
    { wasReplicas: "3", workerCount: "3", managersRunTasks: "false" },
    "wasReplicas",
    /3 replicas cannot all be restored after one node is lost: only 3 nodes can run a task.*wasReplicas <= 2.*workerCount.*managersRunTasks true/,
  ],
  [
    "4 replicas on 3 workers + 1 manager",
    { wasReplicas: 4, workerCount: 3, managerCount: 1 },
    "wasReplicas",
    /only 4 nodes can run a task.*Set wasReplicas <= 3, add workers \(workerCount\)$/,
  ],
  [
    "1 replica on 1 worker with managers drained",
    { wasReplicas: 1, workerCount: 1, managersRunTasks: false },
    "wasReplicas",
    /wasReplicas <= 0/,
  ],
  ["malformed vpcCidr", { vpcCidr: "10.42.0.0" }, "vpcCidr", /"10\.42\.0\.0" is not an IPv4 CIDR like 10\.42\.0\.0\/16/],
  ["octet over 255", { vpcCidr: "10.300.0.0/16" }, "vpcCidr", /not an IPv4 CIDR/],
  ["prefix over 32", { adminCidr: "198.51.100.7/33" }, "adminCidr", /not an IPv4 CIDR/],
  ["vpcCidr host bits", { vpcCidr: "10.42.1.0/16" }, "vpcCidr", /host bits set; use the network address/],
  ["adminCidr host bits", { adminCidr: "198.51.100.7/24" }, "adminCidr", /host bits set; use the network address/],
  ["vpcCidr too large", { vpcCidr: "10.0.0.0/8" }, "vpcCidr", /\/16 to \/24 .*got \/8/],
  ["vpcCidr too small", { vpcCidr: "10.42.0.0/28" }, "vpcCidr", /\/16 to \/24 .*got \/28/],
  ["SSH from anywhere", { adminCidr: "0.0.0.0/0" }, "adminCidr", /0\.0\.0\.0\/0 would open SSH to the internet; use your address, e.g\. 203\.0\.113\.7\/32/],
  ["adminCidr missing", { adminCidr: undefined }, "adminCidr", /is required; set it with `pulumi config set adminCidr <value>`/],
  ["adminCidr empty", { adminCidr: "" }, "adminCidr", /is required; set it with `pulumi config set adminCidr/],
  ["unknown instance type pattern", { workerInstanceType: "t3-small" }, "workerInstanceType", /"t3-small" is not an EC2 instance type like t3\.small/],
  ["unknown size", { managerInstanceType: "t3.huge" }, "managerInstanceType", /not an EC2 instance type/],
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
  ["family list not JSON", { instanceFamilies: "t3,m6i" }, "instanceFamilies", /must be a list, e\.g\. `pulumi config set --path 'instanceFamilies\[0\]' value`/],
  ["wasEnv entry without =", { wasEnv: '["LOG_LEVEL"]' }, "wasEnv", /"LOG_LEVEL" is not KEY=VALUE/],
  ["wasEnv key starting with a digit", { wasEnv: ["1X=y"] }, "wasEnv", /"1X=y" is not KEY=VALUE/],
  ["wasEnv not a list of strings", { wasEnv: [1, 2] }, "wasEnv", /list of strings/],
  ["unknown key", { workerCont: "3" }, "workerCont", /is not a swarm-ha setting; known keys are listed in Pulumi\.yaml/],
  ["namespaced key passed through", { "swarm-ha:workerCount": "3" }, "swarm-ha:workerCount", /not a swarm-ha setting/],
  [
    "chaos on the only manager",
    { chaosEnabled: "true", chaosTarget: "manager", managerCount: "1" },
    "chaosTarget",
    /cannot stop the only manager.*use worker or managerCount 3/,
  ],
  ["chaos on the only balancer", { chaosEnabled: true, chaosTarget: "edge", edgeNodes: 1 }, "chaosTarget", /cannot stop the only balancer; use worker or set edgeNodes 2/],
  ["chaos target with shell characters", { chaosTarget: "worker; reboot" }, "chaosTarget", /worker, manager, edge or a node name/],
  ["3 edge nodes", { edgeNodes: "3" }, "edgeNodes", /between 1 and 2 \(got 3\)/],
  ["a balancer pair in one zone", { edgeNodes: 2, availabilityZones: 1 }, "edgeNodes", /needs two availability zones.*set availabilityZones 2 or edgeNodes 1/],
  ["availabilityZones 4", { availabilityZones: 4 }, "availabilityZones", /between 1 and 3/],
  ["boolean typo", { encryptOverlay: "yes" }, "encryptOverlay", /must be true or false \(got "yes"\)/],
  ["privileged WAS port", { wasPort: 80 }, "wasPort", /between 1024 and 65535/],
  ["relative health path", { wasHealthPath: "healthz" }, "wasHealthPath", /absolute URL path like \/healthz/],
  ["export path with ..", { nfsExportPath: "/srv/../etc" }, "nfsExportPath", /absolute directory path/],
  ["heartbeat 0", { dispatcherHeartbeatSeconds: 0 }, "dispatcherHeartbeatSeconds", /between 1 and 60/],
  ["chaos deadline too short", { chaosDeadlineSeconds: 5 }, "chaosDeadlineSeconds", /between 10 and 1800/],
  ["bad image reference", { wasImage: "Registry/App:1" }, "wasImage", /not an image reference like registry\/app:1\.2/],
  ["public key instead of private", { sshPrivateKey: "ssh-ed25519 AAAAC3Nza" }, "sshPrivateKey", /PEM private key.*pulumi config set --secret sshPrivateKey/],
  ["bad login name", { sshUser: "Ubuntu User" }, "sshUser", /not a valid login name/],
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
    const free = new Set(["wasSampleBaseImage", "taskRestartDelaySeconds", "managersRunTasks", "chaosEnabled"]);
    const tested = new Set(BAD.map(([, , key]) => key));
    const untested = CONFIG_KEYS.map((k) => k.key).filter((k) => !tested.has(k) && !free.has(k));
    expect(untested).toEqual([]);
  });

  it("does not reject chaos on the only manager or balancer while the drill is off", () => {
    expect(() => parseConfig({ ...ADMIN, chaosTarget: "manager", chaosEnabled: false })).not.toThrow();
    expect(() => parseConfig({ ...ADMIN, chaosTarget: "edge", edgeNodes: 1 })).not.toThrow();
  });
});

describe("parseConfig happy paths", () => {
  it("applies every default when only adminCidr is set", () => {
    const cfg = parseConfig(ADMIN);
    expect(cfg).toEqual({
      network: { vpcCidr: "10.42.0.0/16", availabilityZones: 2, adminCidr: "198.51.100.7/32", encryptOverlay: false },
      ssh: { keyConfigured: false, user: "ubuntu" },
      instanceFamilies: [...DEFAULT_INSTANCE_FAMILIES],
      managers: { count: 1, instanceType: "t3.small", runTasks: true },
      workers: { count: 3, instanceType: "t3.small" },
      swarm: { dispatcherHeartbeatSeconds: 1, taskRestartDelaySeconds: 1 },
      nfs: { instanceType: "t3.micro", exportPath: "/srv/nfs/was-logs" },
      edge: { nodes: 1, instanceType: "t3.micro" },
      was: { image: undefined, sampleBaseImage: "node:22-alpine", replicas: 3, port: 8080, healthPath: "/healthz", env: {} },
      chaos: { enabled: false, target: "worker", deadlineSeconds: 60 },
    });
  });

  it("the defaults leave a free slot for a lost node's replica", () => {
    const cfg = parseConfig(ADMIN);
    expect(wasSlots(cfg.managers.count, cfg.workers.count, cfg.managers.runTasks)).toBeGreaterThan(cfg.was.replicas);
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
    expect(parseConfig({ ...ADMIN, workerCount: 3, managersRunTasks: false, wasReplicas: 2 }).was.replicas).toBe(2);
    expect(parseConfig({ ...ADMIN, workerCount: 100, managerCount: 5, wasReplicas: 104 }).was.replicas).toBe(104);
  });

  it("allows chaos on a manager with 3 managers and on an edge with a pair", () => {
    expect(parseConfig({ ...ADMIN, chaosEnabled: true, chaosTarget: "manager", managerCount: 3 }).chaos.target).toBe("manager");
    expect(parseConfig({ ...ADMIN, chaosEnabled: true, chaosTarget: "edge", edgeNodes: 2 }).chaos.target).toBe("edge");
    expect(parseConfig({ ...ADMIN, chaosEnabled: true, chaosTarget: "swarm-ha-dev-worker-1" }).chaos.target).toBe("swarm-ha-dev-worker-1");
  });

  it("accepts a configured private key without exposing it", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    const cfg = parseConfig({ ...ADMIN, sshPrivateKey: key });
    expect(cfg.ssh.keyConfigured).toBe(true);
    expect(JSON.stringify(cfg)).not.toContain("b3BlbnNzaC1rZXktdjEAAAAA");
  });
});

describe("parseCidr", () => {
  it("parses strictly", () => {
    expect(parseCidr("10.42.0.0/16")).toEqual({ base: 0x0a2a0000, prefix: 16 });
    expect(parseCidr("255.255.255.255/32")).toEqual({ base: 0xffffffff, prefix: 32 });
    for (const bad of ["10.42.0/16", "10.42.0.0/", "10.42.0.0/33", "256.0.0.0/8", "a.b.c.d/8", "10.42.0.0/16/1"]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });
});
