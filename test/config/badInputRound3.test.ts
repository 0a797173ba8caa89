/**
 * Issue 24, bad input round three: each class of value that built a stack or drove a drill that
 * cannot work is refused (or normalized) by parseConfig, naming the key; and every fix a message
 * suggests (`pulumi config set K V` / `pulumi config rm ...`) is fed back and must be accepted.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planSubnets } from "../../components/networkPlan";
import {
  ConfigError,
  EC2_INSTANCE_TYPES,
  imageReferenceProblem,
  instanceArchitecture,
  namespaceNearMiss,
  parseConfig,
  quote,
  RawConfig,
  subnetPrefixOf,
  templateProblem,
  usableAddresses,
} from "../../config/schema";

const ADMIN = { adminCidr: "198.51.100.7/32" } as const;

function rejects(values: RawConfig): ConfigError {
  try {
    parseConfig({ ...ADMIN, ...values });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError, got ${String(e)}`, { cause: e });
  }
  throw new Error(`expected ${JSON.stringify(values).slice(0, 200)} to be rejected`);
}

type Edit =
  | { readonly set: string; readonly value: string }
  | { readonly rm: string; readonly index?: number };

/**
 * The fixes a message suggests, as alternatives ("..., or ..."), each a list of edits applied
 * together. Only `pulumi config set KEY VALUE` and `pulumi config rm [--path 'K[i]'|KEY]` count;
 * `--secret` commands take a file and are not replayable.
 */
export function suggestedFixes(message: string): Edit[][] {
  return message
    .split(/, or /)
    .map((alt) => {
      const edits: Edit[] = [];
      for (const m of alt.matchAll(/`pulumi config (set|rm) ([^`]+)`/g)) {
        const args = m[2].trim();
        if (m[1] === "set") {
          const s = /^([A-Za-z][A-Za-z0-9]*) (\S+)$/.exec(args);
          if (s && !/^<.*>$/.test(s[2])) edits.push({ set: s[1], value: s[2] });
        } else {
          const p = /^--path '([A-Za-z]+)\[(\d+)\]'$/.exec(args);
          if (p) edits.push({ rm: p[1], index: Number(p[2]) });
          else if (/^[A-Za-z][A-Za-z0-9]*$/.test(args)) edits.push({ rm: args });
        }
      }
      return edits;
    })
    .filter((edits) => edits.length > 0);
}

function apply(values: RawConfig, edits: readonly Edit[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const e of edits) {
    if ("set" in e) out[e.set] = e.value;
    else if (e.index === undefined) delete out[e.rm];
    else {
      const raw = out[e.rm];
      const list = (typeof raw === "string" ? JSON.parse(raw) : raw) as unknown[];
      out[e.rm] = list.filter((_, i) => i !== e.index);
    }
  }
  return out;
}

/** A fresh OpenSSH key as ssh-keygen writes it. */
function sshKeygen(type: "ed25519" | "rsa", bits?: number): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), "swarm-ha-key-"));
  try {
    const file = path.join(dir, "id");
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      type,
      ...(bits ? ["-b", String(bits)] : []),
      "-N",
      "",
      "-C",
      "t",
      "-f",
      file,
    ]);
    return fs.readFileSync(file, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const body = (key: string) =>
  Buffer.from(
    key
      .split("\n")
      .filter((l) => l && !l.startsWith("-----"))
      .join(""),
    "base64",
  );
const wrap = (b: Buffer) =>
  `-----BEGIN OPENSSH PRIVATE KEY-----\n${b
    .toString("base64")
    .match(/.{1,70}/g)!
    .join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;

/** Splits an OpenSSH key blob into its header up to the public key, the public key, and the private section. */
function parts(buf: Buffer): { head: Buffer; pub: Buffer; rest: Buffer } {
  let at = 15; // "openssh-key-v1\0"
  const skip = () => (at += 4 + buf.readUInt32BE(at));
  skip(); // cipher
  skip(); // kdf
  skip(); // kdf options
  at += 4; // key count
  const start = at;
  skip();
  return { head: buf.subarray(0, start), pub: buf.subarray(start, at), rest: buf.subarray(at) };
}

const ed = sshKeygen("ed25519");
const other = sshKeygen("ed25519");
const KEYS = {
  cutAfterPublic: wrap(Buffer.concat([parts(body(ed)).head, parts(body(ed)).pub])),
  junkPrivate: wrap(
    Buffer.concat([
      parts(body(ed)).head,
      parts(body(ed)).pub,
      Buffer.alloc(parts(body(ed)).rest.length, 0x41),
    ]),
  ),
  spliced: wrap(
    Buffer.concat([parts(body(ed)).head, parts(body(ed)).pub, parts(body(other)).rest]),
  ),
  rsa1024: sshKeygen("rsa", 1024),
  rsa1024Pem: generateKeyPairSync("rsa", { modulusLength: 1024 })
    .privateKey.export({ type: "pkcs1", format: "pem" })
    .toString(),
};

/** [label, values, key the error must name, what it must say]. */
const BAD: Array<[string, RawConfig, string, RegExp]> = [
  // Addresses AWS or the OS refuse, or that no SSH can come from.
  [
    "vpcCidr multicast",
    { vpcCidr: "224.0.0.0/16" },
    "vpcCidr",
    /multicast.*AWS refuses it for a VPC; use a private range/,
  ],
  ["vpcCidr loopback", { vpcCidr: "127.0.0.0/16" }, "vpcCidr", /loopback/],
  [
    "vpcCidr public (8.8.0.0/16)",
    { vpcCidr: "8.8.0.0/16" },
    "vpcCidr",
    /outside the private ranges \(RFC 1918\)/,
  ],
  [
    "vpcCidr just past 172.16.0.0/12",
    { vpcCidr: "172.32.0.0/16" },
    "vpcCidr",
    /outside the private ranges/,
  ],
  ["vpcCidr link-local", { vpcCidr: "169.254.0.0/16" }, "vpcCidr", /link-local/],
  ["vpcCidr reserved 240/4", { vpcCidr: "240.0.0.0/16" }, "vpcCidr", /reserved/],
  ["vpcCidr 0.0.0.0/16", { vpcCidr: "0.0.0.0/16" }, "vpcCidr", /this network/],
  [
    "vpcCidr typed with leading zeros and host bits",
    { vpcCidr: "010.042.001.000/16" },
    "vpcCidr",
    /"010\.042\.001\.000\/16" has host bits set.*`pulumi config set vpcCidr 10\.42\.0\.0\/16`/,
  ],
  [
    "adminCidr loopback",
    { adminCidr: "127.0.0.1/32" },
    "adminCidr",
    /127\.0\.0\.1\/32 is loopback.*no SSH connection can come from there/,
  ],
  ["adminCidr multicast", { adminCidr: "224.0.0.1/32" }, "adminCidr", /multicast/],
  ["adminCidr 0.0.0.0/32", { adminCidr: "0.0.0.0/32" }, "adminCidr", /this network/],
  [
    "adminCidr broadcast",
    { adminCidr: "255.255.255.255/32" },
    "adminCidr",
    /reserved \(240\.0\.0\.0\/4, broadcast included\)/,
  ],
  [
    "adminCidr the metadata address",
    { adminCidr: "169.254.169.254/32" },
    "adminCidr",
    /link-local/,
  ],
  [
    "adminCidr a loopback /8, wide opt-in or not",
    { adminCidr: "127.0.0.0/8", allowWideAdminCidr: true },
    "adminCidr",
    /loopback/,
  ],
  // Subnets that cannot hold what the topology puts in them (AWS keeps 5 addresses per subnet).
  [
    "a /24 VPC with 5 managers and 100 workers",
    { vpcCidr: "10.42.0.0/24", managerCount: 5, workerCount: 100 },
    "vpcCidr",
    /split into \/27 subnets of 27 usable addresses each \(AWS reserves 5\), but the fullest cluster subnet would hold 54 instances.*`pulumi config set vpcCidr 10\.42\.0\.0\/23`/,
  ],
  [
    "one zone, 26 workers in a /24",
    { vpcCidr: "192.168.7.0/24", availabilityZones: 1, workerCount: 26 },
    "vpcCidr",
    /would hold 28 instances .*`pulumi config set vpcCidr 192\.168\.6\.0\/23`/,
  ],
  [
    "one zone, 100 workers in a /23",
    { vpcCidr: "172.16.2.0/23", availabilityZones: 1, workerCount: 100 },
    "vpcCidr",
    /would hold 102 instances.*\/22/,
  ],
  // Instance types that do not exist, or cannot run the program's instances.
  ...["t3.0xlarge", "t3.1xlarge", "t3.metal", "t3.24xlarge", "m6i.nano", "m7i.huge"].map(
    (t): [string, RawConfig, string, RegExp] => [
      `no such type ${t}`,
      { workerInstanceType: t },
      "workerInstanceType",
      new RegExp(
        `"${t.replace(".", "\\.")}" is not an EC2 instance type; ${t.split(".")[0]} comes in `,
      ),
    ],
  ),
  [
    "c6i.nano (c6i has no nano)",
    { instanceFamilies: '["c6i","t3"]', workerInstanceType: "c6i.nano" },
    "workerInstanceType",
    /c6i comes in c6i\.large,/,
  ],
  [
    "workers arm64, managers x86_64",
    { instanceFamilies: '["t3","m7g"]', workerInstanceType: "m7g.large" },
    "workerInstanceType",
    /m7g\.large is arm64 but managerInstanceType t3\.small is x86_64/,
  ],
  [
    "a blank family",
    { instanceFamilies: '["t3", ""]' },
    "instanceFamilies",
    /^config key "instanceFamilies": entry 1 is blank \(""\)/,
  ],
  [
    "a blank-looking family",
    { instanceFamilies: ["t3", " \u00a0"] },
    "instanceFamilies",
    /entry 1 is blank \(" \\u00a0"\)/,
  ],
  [
    "a family that does not exist",
    { instanceFamilies: ["t3", "t9"] },
    "instanceFamilies",
    /entry 1, "t9", is not an EC2 instance family/,
  ],
  [
    "a Mac family",
    { instanceFamilies: ["t3", "mac2"] },
    "instanceFamilies",
    /Mac instances run macOS/,
  ],
  // Logins and keys.
  [
    "sshUser root",
    { sshUser: "root" },
    "sshUser",
    /root cannot log in: Ubuntu's images refuse SSH logins as root/,
  ],
  [
    "sshUser of 33 characters",
    { sshUser: "u".repeat(33) },
    "sshUser",
    /is 33 characters; Linux login names stop at 32/,
  ],
  [
    "sshUser with a newline",
    { sshUser: "ubuntu\nroot" },
    "sshUser",
    /"ubuntu\\nroot" is not a valid login name/,
  ],
  [
    "an OpenSSH key cut after its public part",
    { sshPrivateKey: KEYS.cutAfterPublic },
    "sshPrivateKey",
    /its private part cannot be read/,
  ],
  [
    "an OpenSSH key with junk as its private part",
    { sshPrivateKey: KEYS.junkPrivate },
    "sshPrivateKey",
    /its private part cannot be read/,
  ],
  [
    "one key's public part with another's private part",
    { sshPrivateKey: KEYS.spliced },
    "sshPrivateKey",
    /does not match its public part/,
  ],
  [
    "a 1024-bit RSA key (OpenSSH)",
    { sshPrivateKey: KEYS.rsa1024 },
    "sshPrivateKey",
    /is a 1024-bit RSA key; use 2048 bits or more/,
  ],
  [
    "a 1024-bit RSA key (PEM)",
    { sshPrivateKey: KEYS.rsa1024Pem },
    "sshPrivateKey",
    /is a 1024-bit RSA key/,
  ],
  // Paths past the OS limits, health paths that probe another path.
  [
    "export path of 5,000 characters",
    { nfsExportPath: `/srv/${"a".repeat(4995)}` },
    "nfsExportPath",
    /is 5000 bytes long; Linux paths stop at 4095 \(PATH_MAX 4096/,
  ],
  [
    "export path of exactly PATH_MAX",
    { nfsExportPath: `/srv/${"a/".repeat(2045)}b` },
    "nfsExportPath",
    /is 4096 bytes long/,
  ],
  [
    "export path with a 256-character name",
    { nfsExportPath: `/srv/${"n".repeat(256)}` },
    "nfsExportPath",
    /has a 256-character directory name; Linux names stop at 255 \(NAME_MAX\)/,
  ],
  [
    "health path /../../etc/passwd",
    { wasHealthPath: "/../../etc/passwd" },
    "wasHealthPath",
    /has a "\." or "\.\." segment.*\(to \/etc\/passwd\)/,
  ],
  ["health path /healthz/..", { wasHealthPath: "/healthz/.." }, "wasHealthPath", /"\.\." segment/],
  [
    "health path /./healthz",
    { wasHealthPath: "/./healthz" },
    "wasHealthPath",
    /"\." or "\.\." segment/,
  ],
  ["health path //", { wasHealthPath: "//" }, "wasHealthPath", /has an empty segment \("\/\/"\)/],
  ["health path /a//b", { wasHealthPath: "/a//b" }, "wasHealthPath", /empty segment/],
  [
    "health path of 2,000 characters",
    { wasHealthPath: `/${"h".repeat(2000)}` },
    "wasHealthPath",
    /at most 1024 characters/,
  ],
  // Combinations the drill can never pass.
  [
    "chaos deadline 10 s, heartbeat 60 s",
    { chaosEnabled: true, chaosDeadlineSeconds: 10, dispatcherHeartbeatSeconds: 60 },
    "chaosDeadlineSeconds",
    /10 s cannot pass: .*3 x \(60 \+ 0\.5\) = 181\.5 s.*dispatcherHeartbeatSeconds 60.*taskRestartDelaySeconds 0.*smallest deadline that could pass is 182 s/,
  ],
  [
    "chaos deadline 10 s, restart delay 60 s",
    { chaosEnabled: true, chaosDeadlineSeconds: 10, taskRestartDelaySeconds: 60 },
    "chaosDeadlineSeconds",
    /= 3\.3 s .*restarts 60 s later \(taskRestartDelaySeconds 60\).*smallest deadline that could pass is 64 s/,
  ],
  [
    "chaos deadline 12 s, heartbeat 2 s, delay 5 s",
    {
      chaosEnabled: true,
      chaosDeadlineSeconds: 12,
      dispatcherHeartbeatSeconds: 2,
      taskRestartDelaySeconds: 5,
    },
    "chaosDeadlineSeconds",
    /is 13 s/,
  ],
  [
    "the maxima together",
    {
      chaosEnabled: true,
      chaosDeadlineSeconds: 241,
      dispatcherHeartbeatSeconds: 60,
      taskRestartDelaySeconds: 60,
    },
    "chaosDeadlineSeconds",
    /is 242 s/,
  ],
  // Fixes that must themselves be accepted.
  [
    "one worker (3 replicas)",
    { workerCount: 1 },
    "wasReplicas",
    /only 2 nodes can run a task.*`pulumi config set workerCount 3`$/,
  ],
  [
    "one worker, managers drained, 2 replicas",
    { workerCount: 1, managersRunTasks: false, wasReplicas: 2 },
    "wasReplicas",
    /only 1 nodes can run a task.*; add workers: `pulumi config set workerCount 3`$/,
  ],
  ["1000 replicas", { wasReplicas: 1000 }, "wasReplicas", /`pulumi config set wasReplicas 3`/],
  // Service values swarm would refuse or silently change.
  ...[
    "latest",
    "app",
    "app:latest",
    "registry.example.com/app",
    "localhost:5000/team/app",
    "registry.example.com:5000/app:latest",
  ].map((img): [string, RawConfig, string, RegExp] => [
    `wasImage ${img}`,
    { wasImage: img },
    "wasImage",
    /(names no tag, so swarm pulls :latest|is :latest), which moves/,
  ]),
  ...(
    [
      ["app::1", /malformed repository path component "app:"/],
      ["app@sha256:xyz", /malformed digest "sha256:xyz"/],
      ["app@sha256:" + "A".repeat(64), /malformed digest/],
      ["a/../b:1", /malformed repository path component "\.\."/],
      ["App:1", /malformed repository path component "App"/],
      ["app:-x", /malformed tag "-x"/],
      [`app:${"t".repeat(129)}`, /malformed tag/],
      ["bad_host.example.com/app:1", /malformed registry "bad_host\.example\.com"/],
      ["app/:1", /malformed repository path component ""/],
    ] as const
  ).map(([img, why]): [string, RawConfig, string, RegExp] => [
    `wasImage ${img.slice(0, 40)}`,
    { wasImage: img },
    "wasImage",
    why,
  ]),
  [
    "wasSampleBaseImage without a tag",
    { wasSampleBaseImage: "node" },
    "wasSampleBaseImage",
    /names no tag.*`pulumi config set wasSampleBaseImage node:1\.0\.0`/,
  ],
  [
    "wasEnv unclosed template",
    { wasEnv: ["A={{.Node.Hostname"] },
    "wasEnv",
    /"A=\{\{\.Node\.Hostname": the template action opened at character 0 is never closed/,
  ],
  ["wasEnv half-closed template", { wasEnv: ["A={{.Node.Hostname}"] }, "wasEnv", /never closed/],
  ["wasEnv nested open", { wasEnv: ["A={{ {{.Task.Slot}}"] }, "wasEnv", /never closed/],
  [
    "wasEnv empty action",
    { wasEnv: ["A=x{{ }}"] },
    "wasEnv",
    /the template action at character 1 is empty/,
  ],
  [
    "wasEnv duplicate key",
    { wasEnv: ["A=1", "A=2"] },
    "wasEnv",
    /A is set twice \("A=1" and "A=2"\), and the last would win silently; remove it with `pulumi config rm --path 'wasEnv\[1\]'`/,
  ],
  [
    "wasEnv duplicate key, not adjacent",
    { wasEnv: '["LOG=1","B=2","LOG=3"]' },
    "wasEnv",
    /LOG is set twice.*wasEnv\[2\]/,
  ],
  ["wasEnv NUL", { wasEnv: ["A=x\u0000y"] }, "wasEnv", /"A=x\\u0000y" has a NUL or line break/],
  ["wasEnv newline", { wasEnv: ["A=x\ny"] }, "wasEnv", /"A=x\\ny" has a NUL or line break/],
  ["wasEnv carriage return", { wasEnv: ["A=x\r"] }, "wasEnv", /NUL or line break/],
  // Messages a user can act on.
  [
    "managerCount 99999999999999999999",
    { managerCount: "99999999999999999999" },
    "managerCount",
    /^config key "managerCount": must be 1, 3 or 5 so the managers keep a Raft quorum \(got 99999999999999999999\)$/,
  ],
  [
    "managerCount -99999999999999999999",
    { managerCount: "-99999999999999999999" },
    "managerCount",
    /must be 1, 3 or 5 .*\(got -99999999999999999999\)$/,
  ],
  [
    "managerCount three",
    { managerCount: "three" },
    "managerCount",
    /must be 1, 3 or 5 .*\(got "three"\)$/,
  ],
  ["managerCount 1e21 as a number", { managerCount: 1e21 }, "managerCount", /must be 1, 3 or 5/],
  [
    "workerCount 99999999999999999999",
    { workerCount: "99999999999999999999" },
    "workerCount",
    /must be between 1 and 100 \(got 99999999999999999999\)$/,
  ],
  ["wasPort 0099999", { wasPort: "0099999" }, "wasPort", /between 1 and 65535 \(got 99999\)$/],
  [
    "a chaos target with an invisible character",
    { chaosTarget: "wor\u200bker" },
    "chaosTarget",
    /"wor\\u200bker" is not a target/,
  ],
  [
    "a fault kind with a newline",
    { chaosFault: "kill\nstop" },
    "chaosFault",
    /"kill\\nstop" is not a fault kind/,
  ],
  [
    "a CIDR with a zero-width space",
    { adminCidr: "198.51.100.7/32\u200b" },
    "adminCidr",
    /"198\.51\.100\.7\/32\\u200b" is not an IPv4 CIDR/,
  ],
];

describe("issue 24: each class is refused before any resource, naming the key", () => {
  it.each(BAD)("%s", (_label, values, key, why) => {
    const err = rejects(values);
    expect(err.key).toBe(key);
    expect(err.message.startsWith(`config key "${key}": `)).toBe(true);
    expect(err.message).toMatch(why);
  });

  it("prints no raw control or invisible character in any message", () => {
    for (const [, values] of BAD) {
      expect(rejects(values).message).not.toMatch(/[\p{Cc}\p{Cf}\u00a0]/u);
    }
  });
});

describe("every fix a message suggests is itself accepted", () => {
  it.each(BAD)("%s", (_label, values) => {
    const err = rejects(values);
    const fixes = suggestedFixes(err.message);
    for (const edits of fixes) {
      const fixed = apply({ ...ADMIN, ...values }, edits);
      expect(() => parseConfig(fixed), `${err.message}\n→ ${JSON.stringify(edits)}`).not.toThrow();
    }
  });

  it("gives a replayable fix for every class whose fix is a value (the test above is not vacuous)", () => {
    const noCommand = BAD.filter(
      ([, values]) => suggestedFixes(rejects(values).message).length === 0,
    ).map(([label]) => label);
    // These messages list the accepted values instead of one command (checked in the next test).
    expect(noCommand).toEqual([
      "managerCount 99999999999999999999",
      "managerCount -99999999999999999999",
      "managerCount three",
      "managerCount 1e21 as a number",
      "workerCount 99999999999999999999",
      "wasPort 0099999",
      "a chaos target with an invisible character",
      "a CIDR with a zero-width space",
    ]);
  });

  it("the values a message lists instead of a command are accepted: 1, 3 or 5; every chaos target; the CIDR example", () => {
    const managers = /must be (\d), (\d) or (\d)/
      .exec(rejects({ managerCount: "99999999999999999999" }).message)!
      .slice(1);
    expect(managers).toEqual(["1", "3", "5"]);
    for (const m of managers)
      expect(() => parseConfig({ ...ADMIN, managerCount: m, workerCount: 5 })).not.toThrow();
    const targets = /use one of (.*)$/
      .exec(rejects({ chaosTarget: "wor\u200bker" }).message)![1]
      .split(", ");
    for (const t of targets)
      expect(() => parseConfig({ ...ADMIN, chaosTarget: t }), t).not.toThrow();
    const example = /like (\S+)$/.exec(rejects({ adminCidr: "198.51.100.7/32\u200b" }).message)![1];
    expect(parseConfig({ adminCidr: example }).network.adminCidr).toBe(example);
  });

  it("the fix for workerCount 1 is not a wasReplicas the next run refuses", () => {
    const msg = rejects({ workerCount: 1 }).message;
    expect(msg).not.toMatch(/wasReplicas <= 1|wasReplicas 1\b/);
    expect(parseConfig({ ...ADMIN, workerCount: 3 }).workers.count).toBe(3);
  });

  it("a grid of counts: every replicas fix is accepted (workers 1-6, managers 1/3/5, drained or not, replicas 1-8)", () => {
    let checked = 0;
    for (const workerCount of [1, 2, 3, 4, 5, 6]) {
      for (const managerCount of [1, 3, 5]) {
        for (const managersRunTasks of [true, false]) {
          for (let wasReplicas = 1; wasReplicas <= 8; wasReplicas++) {
            const values = { ...ADMIN, workerCount, managerCount, managersRunTasks, wasReplicas };
            let message: string | undefined;
            try {
              parseConfig(values);
            } catch (e) {
              if (!(e instanceof ConfigError)) throw e;
              message = e.message;
            }
            if (message === undefined) continue;
            const fixes = suggestedFixes(message);
            expect(fixes.length, message).toBeGreaterThan(0);
            for (const edits of fixes) {
              expect(
                () => parseConfig(apply(values, edits)),
                `${message} → ${JSON.stringify(edits)}`,
              ).not.toThrow();
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("a grid of drills: every deadline fix is accepted (heartbeat 0.5-60 s, delay 0-60 s, deadline 10-240 s)", () => {
    let checked = 0;
    for (const hb of ["0.5", "0.6", "2", "5", "20", "60"]) {
      for (const delay of [0, 5, 30, 60]) {
        for (const deadline of [10, 15, 60, 120, 240]) {
          const values = {
            ...ADMIN,
            chaosEnabled: true,
            dispatcherHeartbeatSeconds: hb,
            taskRestartDelaySeconds: delay,
            chaosDeadlineSeconds: deadline,
          };
          let message: string | undefined;
          try {
            parseConfig(values);
          } catch (e) {
            message = (e as Error).message;
          }
          if (message === undefined) continue;
          for (const edits of suggestedFixes(message)) {
            expect(
              () => parseConfig(apply(values, edits)),
              `${message} → ${JSON.stringify(edits)}`,
            ).not.toThrow();
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("the drill-deadline check runs only when the drill does", () => {
    expect(() =>
      parseConfig({
        ...ADMIN,
        chaosEnabled: false,
        chaosDeadlineSeconds: 10,
        dispatcherHeartbeatSeconds: 60,
      }),
    ).not.toThrow();
  });
});

describe("values normalized or accepted, not refused", () => {
  it("CIDRs typed with leading zeros are passed on in their normal form", () => {
    const cfg = parseConfig({ vpcCidr: "010.042.000.000/16", adminCidr: "198.051.100.007/32" });
    expect(cfg.network.vpcCidr).toBe("10.42.0.0/16");
    expect(cfg.network.adminCidr).toBe("198.51.100.7/32");
  });

  it("accepts the private ranges' edges and a CIDR with surrounding space", () => {
    for (const vpcCidr of [
      "10.0.0.0/16",
      "10.255.0.0/16",
      "172.16.0.0/16",
      "172.31.0.0/16",
      "192.168.0.0/16",
      "192.168.255.0/24",
    ]) {
      expect(parseConfig({ ...ADMIN, vpcCidr }).network.vpcCidr).toBe(vpcCidr);
    }
    expect(parseConfig({ adminCidr: " 203.0.113.7/32 " }).network.adminCidr).toBe("203.0.113.7/32");
  });

  it("accepts the tightest subnet: 27 instances in a /27 (1 manager, 25 workers, the NFS server, one zone)", () => {
    expect(usableAddresses(subnetPrefixOf(24))).toBe(27);
    expect(
      parseConfig({ ...ADMIN, vpcCidr: "10.42.0.0/24", availabilityZones: 1, workerCount: 25 })
        .workers.count,
    ).toBe(25);
  });

  it("the subnet prefix the check assumes is the one the network plan carves", () => {
    for (const prefix of [16, 20, 24]) {
      expect(
        planSubnets(`10.42.0.0/${prefix}`, 3).cluster[0].endsWith(`/${subnetPrefixOf(prefix)}`),
      ).toBe(true);
    }
  });

  it("accepts valid references: an uppercase tag, a registry with a port, digests", () => {
    const digest = "sha256:" + "0123456789abcdef".repeat(4);
    for (const img of [
      "app:V1",
      "localhost:5000/app:1",
      "registry.example.com:5000/team/app:1.2.3",
      `app@${digest}`,
      `app:1@${digest}`,
      "a__b/c-d.e/f---g:1_X.y-z",
      "[::1]:5000/app:1",
    ]) {
      expect(imageReferenceProblem(img), img).toBeUndefined();
      expect(parseConfig({ ...ADMIN, wasImage: img }).was.image).toBe(img);
    }
  });

  it("accepts closed templates and braces that are not actions", () => {
    expect(templateProblem("{{.Node.Hostname}}-{{.Task.Slot}}")).toBeUndefined();
    expect(
      parseConfig({ ...ADMIN, wasEnv: ["A={{.Node.Hostname}}", "B=}}", "C={x}"] }).was.env,
    ).toEqual({ A: "{{.Node.Hostname}}", B: "}}", C: "{x}" });
  });

  it("accepts a 2048 and a 3072-bit RSA key and an ED25519 key", () => {
    for (const key of [sshKeygen("rsa", 2048), sshKeygen("rsa", 3072), ed]) {
      expect(parseConfig({ ...ADMIN, sshPrivateKey: key }).ssh.keyConfigured).toBe(true);
    }
  });

  it("accepts a Graviton stack (arm64 everywhere) and a Graviton balancer beside x86 swarm nodes", () => {
    const arm = {
      instanceFamilies: '["m7g","t4g"]',
      managerInstanceType: "m7g.large",
      workerInstanceType: "m7g.large",
      nfsInstanceType: "t4g.micro",
      edgeInstanceType: "t4g.micro",
    };
    expect(parseConfig({ ...ADMIN, ...arm }).workers.instanceType).toBe("m7g.large");
    expect(
      parseConfig({ ...ADMIN, instanceFamilies: '["t3","t4g"]', edgeInstanceType: "t4g.micro" })
        .edge.instanceType,
    ).toBe("t4g.micro");
  });

  it("knows each type's architecture from the list @pulumi/aws ships", () => {
    expect(EC2_INSTANCE_TYPES.size).toBeGreaterThan(500);
    for (const t of [
      "t3.small",
      "m7i.large",
      "c6i.large",
      "m7i-flex.large",
      "g4dn.xlarge",
      "x2iedn.xlarge",
    ])
      expect(instanceArchitecture(t), t).toBe("x86_64");
    for (const t of [
      "t4g.small",
      "m7g.large",
      "c7gn.large",
      "a1.large",
      "x2gd.large",
      "im4gn.large",
      "is4gen.large",
      "g5g.xlarge",
    ])
      expect(instanceArchitecture(t), t).toBe("arm64");
  });
});

describe("keys in a near-miss namespace", () => {
  it("warns about swarmha:, swarm_ha:, Swarm-HA:, swarm:, naming the key meant", () => {
    expect(namespaceNearMiss("swarm-ha", "swarmha:workerCount")).toMatch(
      /^config key "swarmha:workerCount" is ignored: "swarmha" is not this project's namespace \(swarm-ha\).*did you mean swarm-ha:workerCount\?/,
    );
    expect(namespaceNearMiss("swarm-ha", "swarm_ha:wasPort")).toMatch(
      /did you mean swarm-ha:wasPort\?/,
    );
    expect(namespaceNearMiss("swarm-ha", "Swarm-HA:edgeNodes")).toMatch(
      /did you mean swarm-ha:edgeNodes\?/,
    );
    expect(namespaceNearMiss("swarm-ha", "swarm:workerCount")).toMatch(
      /did you mean swarm-ha:workerCount\?/,
    );
    expect(namespaceNearMiss("swarm-ha", "swarm-hs:workerCont")).toMatch(
      /did you mean swarm-ha:workerCount\?/,
    );
  });

  it("leaves the project's own keys and other packages' namespaces alone", () => {
    for (const k of [
      "swarm-ha:workerCount",
      "aws:region",
      "aws:profile",
      "pulumi:tags",
      "tls:x",
      "docker:host",
      "random:x",
      "command:x",
    ]) {
      expect(namespaceNearMiss("swarm-ha", k), k).toBeUndefined();
    }
  });
});

describe("quote", () => {
  it("shows what a terminal would hide", () => {
    expect(quote("a\nb")).toBe('"a\\nb"');
    expect(quote("a\u200bb")).toBe('"a\\u200bb"');
    expect(quote("\ufeffx")).toBe('"\\ufeffx"');
    expect(quote("\u0085")).toBe('"\\u0085"');
    expect(quote("plain")).toBe('"plain"');
  });
});
