/**
 * Issue 22: defects that live in the engine's diff and in the providers' read-back, where no test
 * could see them. The Command and Docker provider plugins cannot be built on this machine (the Go
 * module proxy refuses their modules), so the real engine cannot run these resources here: each
 * test holds the program, under strict mocks, to what the providers' sources say they compare or
 * read back (docs/aws-review.md "Issue 22" cites the lines).
 */
import * as os from "os";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { SSH_DIAL } from "../../components/swarmCluster";
import { MockedStack, Registration, runProgram } from "../mocks";
import { ADMIN_CIDR } from "./describeStack";

const REMOTE = "command:remote:Command";
const LOCAL = "command:local:Command";
const INSTANCE = "aws:ec2/instance:Instance";
const SERVICE = "docker:index/service:Service";
const NETWORK = "docker:index/network:Network";

async function synth(
  stack: "dev" | "prod",
  overrides: Record<string, string> = {},
  livePublicIps?: Record<string, string>,
): Promise<MockedStack> {
  vi.resetModules();
  return runProgram(stack, { adminCidr: ADMIN_CIDR, ...overrides }, [], { livePublicIps });
}

const drillOf = (s: MockedStack): Registration => {
  const drills = s.byType(LOCAL).filter((c) => String(c.inputs.create).includes("cli/chaos.ts"));
  expect(drills).toHaveLength(1);
  return drills[0];
};

/** Every string anywhere in a value (inputs of a resource), for "does X appear in it" checks. */
function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === "object") return Object.values(v).flatMap(strings);
  return [];
}

describe.each(["dev", "prod"] as const)("issue 22 under mocks: stack %s", (stack) => {
  let s: MockedStack;
  beforeAll(async () => {
    s = await synth(stack, { chaosEnabled: "true", chaosTarget: "worker" });
  }, 60_000);

  it("finding 1: the encrypted overlay network ignores the options swarm adds on read-back (options is ForceNew)", () => {
    const networks = s.byType(NETWORK);
    if (stack === "dev") return expect(networks).toEqual([]);
    expect(networks).toHaveLength(1);
    expect(networks[0].inputs.options).toEqual({ encrypted: "true" });
    expect(networks[0].ignoreChanges).toContain("options");
  });

  it("finding 2: the health-check interval is sent as the Go duration the provider reads back (500ms, not 0.5s)", () => {
    const [svc] = s.byType(SERVICE);
    const hc = svc.inputs.taskSpec.containerSpec.healthcheck;
    expect(hc).toMatchObject({ interval: "500ms", timeout: "2s", startPeriod: "5s" });
    expect(svc.inputs.taskSpec.containerSpec.stopGracePeriod).toBe("5s");
  });

  it("finding 13 (seen only through the real engine): the restart policy's window is sent as the provider reads it back", () => {
    // terraform-provider-docker reads an unset window back as "0s" (createServiceRestartPolicy parses the
    // empty string to 0; flattenTaskRestartPolicy prints it): left out, every second `up` was an update.
    const [svc] = s.byType(SERVICE);
    expect(svc.inputs.taskSpec.restartPolicy).toMatchObject({ condition: "any", window: "0s" });
  });

  it("finding 3: the spread descriptor the provider stores starts with node.labels. (no spread= prefix)", () => {
    const [svc] = s.byType(SERVICE);
    expect(svc.inputs.taskSpec.placement.prefs).toEqual(["node.labels.swarm-ha.zone"]);
  });

  it("finding 4: the drill's stdin is not under ignoreChanges and carries today's node set, no public address", () => {
    const drill = drillOf(s);
    expect(drill.ignoreChanges).toEqual([]);
    const stdin = String(drill.inputs.stdin);
    for (const i of s.byType(INSTANCE)) {
      expect(stdin, i.name).not.toContain(`"${i.state.publicIp}"`);
    }
    const fed = JSON.parse(stdin) as {
      nodes: Array<{ instanceId: string }>;
      managerAddress: string;
    };
    const nodeIds = s
      .byType(INSTANCE)
      .filter((i) => ["manager", "worker"].includes(i.inputs.tags["swarm-ha:role"]))
      .map((i) => i.id);
    expect(fed.nodes.map((n) => n.instanceId).sort()).toEqual(nodeIds.sort());
  });

  it("finding 6: every remote command dials with the SSH_DIAL budget (the edge's included)", () => {
    const cmds = s.byType(REMOTE);
    expect(cmds.length).toBeGreaterThan(0);
    for (const c of cmds) {
      expect(c.inputs.connection, c.name).toMatchObject(SSH_DIAL);
      if (c.inputs.connection.proxy)
        expect(c.inputs.connection.proxy, c.name).toMatchObject(SSH_DIAL);
    }
  });

  it("finding 7: the drill runs in a project-relative directory with no value of this machine in its environment", () => {
    const drill = drillOf(s);
    expect(drill.inputs.dir).toBe(".");
    const machine = [os.homedir(), process.cwd(), os.tmpdir()];
    for (const v of strings(drill.inputs.environment))
      for (const m of machine) expect(v).not.toContain(m);
    expect(drill.secretInputs).toContain("environment");
  });

  it("finding 12: every remote command's connection is a secret as a whole (pulumi-command#447)", () => {
    for (const c of s.byType(REMOTE)) {
      expect(c.secretInputs, c.name).toContain("connection");
      // The recorder tells a secret input from a plain one: the script itself is plain.
      expect(c.secretInputs, c.name).not.toContain("create");
    }
  });
});

describe("issue 22: addresses that change under a deployed stack (prod)", () => {
  let before: MockedStack;
  let after: MockedStack;
  // manager-0 stopped and started (new public IP); worker-1 likewise; the balancer pair failed over,
  // so the EIP is on edge-1 now and edge-0 answers on a fresh public IP.
  const moved = {
    "swarm-manager-0": "192.0.2.200",
    "swarm-worker-1": "192.0.2.201",
    "edge-0": "192.0.2.210",
    "edge-1": "203.0.113.10",
  };
  beforeAll(async () => {
    before = await synth("prod");
    after = await synth("prod", {}, moved);
  }, 120_000);

  it("finding 5: the Docker provider and the leader's SSH steps dial manager-0's live address", () => {
    const [provider] = after.byType("pulumi:providers:docker");
    expect(provider.inputs.host).toBe(`ssh://ubuntu@${moved["swarm-manager-0"]}`);
    for (const name of [
      "swarm-swarm-init",
      "swarm-prune",
      "swarm-zone-labels",
      "swarm-worker-token",
      "swarm-manager-token",
    ]) {
      expect(after.one(name).inputs.connection.host, name).toBe(moved["swarm-manager-0"]);
    }
    expect(after.one("swarm-join-swarm-worker-1").inputs.connection.host).toBe(
      moved["swarm-worker-1"],
    );
  });

  it("finding 10: a failover changes nothing the edge pushes are keyed on (no live public address in their inputs)", () => {
    const pushes = (s: MockedStack) =>
      s
        .byType(REMOTE)
        .filter((c) => c.name.startsWith("edge-"))
        .map((c) => ({ name: c.name, inputs: c.inputs }));
    expect(pushes(after).length).toBe(6);
    expect(pushes(after)).toEqual(pushes(before));
    for (const p of pushes(after)) {
      for (const ip of [
        moved["edge-0"],
        ...before.byType(INSTANCE).map((i) => String(i.state.publicIp)),
      ]) {
        expect(strings(p.inputs), p.name).not.toContain(ip);
      }
    }
  });
});

describe("issue 22 finding 8: the drill gets the stack's whole AWS identity, secrets kept secret", () => {
  it("assumeRoles and keys in the stack config reach the drill, in a secret environment", async () => {
    const s = await synth("dev", {
      chaosEnabled: "true",
      "aws:profile": "ops",
      "aws:accessKey": "AKIAIOSFODNN7EXAMPLE",
      "aws:secretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "aws:assumeRoles": JSON.stringify([
        {
          roleArn: "arn:aws:iam::123456789012:role/swarm-ha-drill",
          sessionName: "drill",
          externalId: "x-1",
        },
      ]),
    });
    const drill = drillOf(s);
    expect(drill.secretInputs).toContain("environment");
    const env = strings(drill.inputs.environment).join("\n");
    expect(env).toContain("arn:aws:iam::123456789012:role/swarm-ha-drill");
    expect(env).toContain("x-1");
    expect(env).toContain("AKIAIOSFODNN7EXAMPLE");
    expect(env).toContain("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(env).toContain("eu-west-1");
  }, 60_000);
});
