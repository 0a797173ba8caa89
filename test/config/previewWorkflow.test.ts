/**
 * Issue 22 finding 11: the PR preview workflow. Its shell steps are run here with bash and a
 * scripted `pulumi` (it records its arguments and answers as a stack in a given state would), so
 * what the workflow does for a fork, a missing stack and a deployed stack is executed, not read.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly if?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly env?: Record<string, string>;
}
const workflow = parse(
  fs.readFileSync(path.join(__dirname, "..", "..", ".github", "workflows", "preview.yml"), "utf8"),
) as {
  jobs: { preview: { steps: Step[] } };
};
const steps = workflow.jobs.preview.steps;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "preview-wf-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const stepNamed = (name: string) => {
  const s = steps.find((x) => x.name === name);
  if (!s?.run) throw new Error(`no run step named ${name}`);
  return s as Step & { run: string };
};

let n = 0;
/** Runs a step's script with bash; `pulumi` answers per `stack` and logs every call. */
function runStep(
  step: Step & { run: string },
  env: Record<string, string>,
  stack: { exists: boolean; configAdminCidr?: string; outputAdminCidr?: string } = { exists: true },
) {
  const dir = path.join(root, `run-${n++}`);
  fs.mkdirSync(dir);
  const log = path.join(dir, "pulumi.log");
  fs.writeFileSync(
    path.join(dir, "pulumi"),
    [
      "#!/bin/sh",
      `echo "$*" >> '${log}'`,
      'case "$1 $2" in',
      `  "stack select") exit ${stack.exists ? 0 : 255} ;;`,
      `  "config get") ${stack.configAdminCidr ? `echo '${stack.configAdminCidr}'; exit 0` : "exit 255"} ;;`,
      `  "stack output") ${stack.outputAdminCidr ? `echo '${stack.outputAdminCidr}'; exit 0` : "exit 255"} ;;`,
      "esac",
      "exit 0",
    ].join("\n"),
    { mode: 0o755 },
  );
  const output = path.join(dir, "github-output");
  fs.writeFileSync(output, "");
  const r = spawnSync("bash", ["-e", "-c", step.run], {
    env: { PATH: `${dir}:${process.env.PATH}`, GITHUB_OUTPUT: output, ...env },
    encoding: "utf8",
  });
  return {
    status: r.status,
    stdout: r.stdout,
    calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [],
    output: fs.readFileSync(output, "utf8"),
  };
}

describe("the preview workflow (.github/workflows/preview.yml)", () => {
  it("a fork's pull request (no token) skips with a notice instead of failing; every later step is gated", () => {
    const gate = stepNamed("Credentials for the preview");
    expect(steps.indexOf(gate)).toBe(0);
    const fork = runStep(gate, { FROM_FORK: "true", HAS_TOKEN: "false" });
    expect(fork.status).toBe(0);
    expect(fork.stdout).toMatch(/::notice title=preview skipped::a pull request from a fork/);
    expect(fork.output).toBe("run=false\n");
    expect(runStep(gate, { FROM_FORK: "false", HAS_TOKEN: "false" }).output).toBe("run=false\n");
    expect(runStep(gate, { FROM_FORK: "false", HAS_TOKEN: "true" }).output).toBe("run=true\n");
    for (const s of steps.slice(1))
      expect(s.if, s.name ?? s.uses ?? s.run).toBe(`steps.${gate.id}.outputs.run == 'true'`);
  });

  it("never creates a stack: a missing one fails with the command that creates it", () => {
    for (const s of steps) expect(s.run ?? "", s.name).not.toMatch(/--create|stack init\s+[^$]*$/m);
    const select = stepNamed("Select the stack and its deployed admin CIDR");
    const r = runStep(
      select,
      { STACK: "acme/swarm-ha/dev", ADMIN_CIDR: "192.0.2.0/24" },
      { exists: false },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("::error title=no such stack::acme/swarm-ha/dev does not exist");
    expect(r.calls).toEqual(["stack select acme/swarm-ha/dev"]);
  });

  it("previews a deployed stack with the adminCidr it was deployed with, not the runner's", () => {
    const select = stepNamed("Select the stack and its deployed admin CIDR");
    const env = { STACK: "acme/swarm-ha/prod", ADMIN_CIDR: "192.0.2.0/24" };
    const deployed = runStep(select, env, { exists: true, outputAdminCidr: "198.51.100.7/32" });
    expect(deployed.status).toBe(0);
    expect(deployed.calls).toContain(
      "config set adminCidr 198.51.100.7/32 --stack acme/swarm-ha/prod",
    );
    expect(deployed.calls.join("\n")).not.toContain("192.0.2.0/24");
    // A stack file that carries adminCidr is left as it is.
    const inFile = runStep(select, env, {
      exists: true,
      configAdminCidr: "203.0.113.0/28",
      outputAdminCidr: "198.51.100.7/32",
    });
    expect(inFile.calls.filter((c) => c.startsWith("config set"))).toEqual([]);
    // Only a stack never deployed falls back to the repository variable, and says so.
    const fresh = runStep(select, env, { exists: true });
    expect(fresh.calls).toContain("config set adminCidr 192.0.2.0/24 --stack acme/swarm-ha/prod");
    expect(fresh.stdout).toContain("no deployed adminCidr yet");
  });

  it("the program exports the adminCidr the workflow reads back", () => {
    expect(fs.readFileSync(path.join(__dirname, "..", "..", "index.ts"), "utf8")).toMatch(
      /^export const adminCidr = cfg\.network\.adminCidr;$/m,
    );
  });
});
