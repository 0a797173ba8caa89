/**
 * The ChaosCheck component under Pulumi mocks: its command is answered by the REAL chaos CLI and
 * drill core against a scripted swarm (test/chaos/chaosRunner.ts), so the report the stack shows
 * is a measured verdict, and a failing verdict fails the resource (and the update).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { scriptedChaosRunner, type ChaosMode } from "./chaosRunner";

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/outputs.json"), "utf8"));
let mode: ChaosMode = "restores";
const commands: Array<{
  create: string;
  triggers: unknown[];
  environment?: Record<string, string>;
}> = [];
/** Registrations that failed: what `pulumi up` prints as the resource's error. */
const registrationErrors: string[] = [];

// A failed command fails its registration; the engine reports it and the update fails. Under mocks
// that arrives as an unhandled rejection: record it for the assertions instead of crashing the run.
process.on("unhandledRejection", (e) => {
  const m = e instanceof Error ? e.message : String(e);
  if (!m.includes("failed to register new resource")) throw e;
  registrationErrors.push(m);
});

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        if (args.type === "command:local:Command") {
          commands.push({
            create: args.inputs.create,
            triggers: args.inputs.triggers,
            environment: args.inputs.environment,
          });
          const stdin =
            typeof args.inputs.stdin === "string" ? args.inputs.stdin : args.inputs.stdin.value;
          const stdout = await scriptedChaosRunner(mode)(args.inputs.create, stdin);
          return { id: `${args.name}-id`, state: { ...args.inputs, stdout, stderr: "" } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => {
        throw new Error("no invokes");
      },
    },
    "swarm-ha",
    "dev",
    false,
  );
});

async function check(name: string, m: ChaosMode, fault?: "stop" | "kill" | "partition") {
  mode = m;
  const { ChaosCheck } = await import("../../components/chaosCheck");
  const c = new ChaosCheck(name, {
    target: "worker",
    ...(fault ? { fault } : {}),
    deadlineSeconds: 60,
    stackOutputs: fixture,
    triggers: ["spec-v1", "i-0aaaaaaaaaaaaaaa1"],
    aws: { region: "eu-west-1", profile: "swarm-ha-dev" },
  });
  return new Promise<{
    passed: boolean;
    failures?: string[];
    restoreSeconds: number | null;
    fault?: string;
    drill?: string;
  }>((resolve, reject) => {
    (c.report as pulumi.Output<any>).apply((r) => resolve(r));
    setTimeout(() => reject(new Error("the ChaosCheck report never resolved")), 3_000).unref();
  });
}

describe("ChaosCheck under mocks runs the real drill", () => {
  it("a drill that restores without losing a request passes, with the verdict's budgets in the report", async () => {
    const r = await check("chaos-pass", "restores");
    expect(r).toMatchObject({
      scenario: "stop-worker",
      passed: true,
      failures: [],
      restoreSeconds: 6,
      targets: { deadlineSeconds: 60, maxFailed: 0, maxP99Ms: 1500 },
    });
    const cmd = commands.find((c) => c.create.includes("cli/chaos.ts"))!;
    expect(cmd.create).toBe(
      "npx --no-install tsx cli/chaos.ts --outputs - --target worker --fault stop --deadline 60 --json -",
    );
    // Re-runs on the drill's settings, the service spec and the node set; never on stdin (public IPs).
    expect(cmd.triggers).toEqual([cmd.create, "spec-v1", "i-0aaaaaaaaaaaaaaa1"]);
    // The stack's AWS identity, as a secret input (it may carry keys).
    const env = cmd.environment as unknown as { value: Record<string, string> };
    expect(env.value).toEqual({
      AWS_REGION: "eu-west-1",
      SWARM_HA_DRILL_AWS: JSON.stringify({ region: "eu-west-1", profile: "swarm-ha-dev" }),
    });
  });

  it("chaosFault reaches the command line, so a changed fault re-runs the drill (the command is a trigger)", async () => {
    const r = await check("chaos-kill", "restores", "kill");
    expect(r).toMatchObject({ passed: true, fault: "kill", drill: "worker-kill" });
    const cmd = commands.find((c) => c.create.includes("--fault kill"))!;
    expect(cmd.create).toBe(
      "npx --no-install tsx cli/chaos.ts --outputs - --target worker --fault kill --deadline 60 --json -",
    );
    expect(cmd.triggers[0]).toBe(cmd.create);
    const stop = commands.find((c) => c.create.includes("--fault stop"))!;
    expect(stop.triggers).not.toEqual(cmd.triggers);
  });

  it("chaosCommand refuses a fault kind it does not know (the case that must fail)", async () => {
    const { chaosCommand } = await import("../../components/chaosCheck");
    expect(() => chaosCommand("worker", 60, {}, "reboot")).toThrow(
      'invalid chaos fault "reboot": use stop, kill or partition',
    );
    expect(chaosCommand("worker", 60, {}, "partition")).toContain("--fault partition");
  });

  it("a drill that restores but loses requests FAILS the resource with the verdict's reason", async () => {
    await expect(check("chaos-lossy", "lossy")).rejects.toThrow(
      "the ChaosCheck report never resolved",
    );
    expect(registrationErrors.find((e) => e.includes("chaos-lossy-drill"))).toMatch(
      /chaos drill exited 1: .*3 of 6000 requests failed \(budget 0; --max-failed\)/,
    );
  });

  it("a drill that never restores FAILS the resource", async () => {
    await expect(check("chaos-never", "never")).rejects.toThrow(
      "the ChaosCheck report never resolved",
    );
    expect(registrationErrors.find((e) => e.includes("chaos-never-drill"))).toMatch(
      /chaos drill exited 1: .*not restored within the 60 s deadline/,
    );
  });
});
