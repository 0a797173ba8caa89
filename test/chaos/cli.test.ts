import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import type { StackOutputs } from "../../chaos/aws";
import { type CliDeps, type DrillSetup, main, parseArgs, UsageError } from "../../chaos/cli";
import { runDrill } from "../../chaos/core";
import { FakeClock, ScriptedSwarm, workerScript, type Script } from "./fakes";

const FIXTURE = path.join(__dirname, "fixtures/outputs.json");

function usage(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  return "(accepted)";
}

describe("parseArgs", () => {
  it("accepts the ChaosCheck command line and the defaults", () => {
    expect(parseArgs(["--outputs", "-", "--target", "worker", "--deadline", "90", "--json", "-"])).toEqual({
      source: { kind: "outputs", file: "-" }, target: "worker", deadlineSeconds: 90, rejoinDeadlineSeconds: 300, json: "-", connections: 50,
    });
    expect(parseArgs(["--lab", "--target=manager", "--connections=0", "--url", "http://127.0.0.1:8080/"])).toMatchObject({
      source: { kind: "lab" }, target: "manager", connections: 0, url: "http://127.0.0.1:8080/",
    });
    expect(parseArgs(["--stack", "org/swarm-ha/dev"])).toMatchObject({ source: { kind: "stack", stack: "org/swarm-ha/dev" }, deadlineSeconds: 60 });
    expect(parseArgs(["--help"])).toBe("help");
  });

  it("names the flag and the fix in one line", () => {
    expect(usage(["--lab", "--deadine", "5"])).toBe("unknown flag --deadine; run npm run chaos -- --help for the flags");
    expect(usage(["--lab", "--deadline", "soon"])).toBe('--deadline must be a whole number of seconds from 1 to 3600 (got "soon"), e.g. --deadline 60');
    expect(usage(["--lab", "--deadline", "0"])).toMatch(/^--deadline must be a whole number of seconds from 1 to 3600 \(got "0"\)/);
    expect(usage(["--lab", "--deadline"])).toBe("--deadline needs a value, e.g. --deadline 60");
    expect(usage(["--lab", "--target", "--deadline", "5"])).toBe("--target needs a value, e.g. --target worker");
    expect(usage(["--lab", "--connections", "-3"])).toBe("--connections needs a value, e.g. --connections 50");
    expect(usage(["--lab", "--connections", "5000"])).toMatch(/^--connections must be a whole number of connections from 0 to 2000/);
    expect(parseArgs(["--lab", "--target", "edge"])).toMatchObject({ source: { kind: "lab" }, target: "edge" });
    expect(usage(["--lab", "--target", "w1;reboot"])).toMatch(/^--target "w1;reboot" must be worker, manager or a node host name/);
    expect(usage(["--lab", "--url", "file:///etc/passwd"])).toMatch(/^--url "file:\/\/\/etc\/passwd" must be an http\(s\) URL/);
    expect(usage(["--lab", "--stack", "dev"])).toBe("--stack and --lab are exclusive; pass exactly one of --stack, --outputs, --lab");
    expect(usage(["--target", "worker"])).toBe("say what to drill: --stack <name>, --outputs <file.json> or --lab");
    expect(usage(["--lab", "--lab=yes"])).toBe('--lab takes no value; drop "=yes"');
    expect(usage(["--lab", "--deadline", "5", "--deadline", "6"])).toBe("--deadline is given twice; keep one");
    expect(usage(["--lab", "worker"])).toBe('unexpected argument "worker"; flags take the form --name value');
  });
});

/** Deps whose AWS setup is a scripted swarm; records what was touched. */
function fakeDeps(script: Script, extra: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const seen: { outputs?: StackOutputs; setups: number; closed: number; swarm?: ScriptedSwarm } = { setups: 0, closed: 0 };
  const clock = new FakeClock();
  const setup = (): DrillSetup => {
    seen.setups++;
    const swarm = new ScriptedSwarm(clock, script);
    seen.swarm = swarm;
    return { observer: swarm, stopper: swarm, service: "was", url: "http://127.0.0.1:1/", allowHosts: [], managersRunTasks: false, close: () => void seen.closed++ };
  };
  const deps: CliDeps = {
    readText: (f) => fs.readFileSync(f, "utf8"),
    pulumiOutputs: async () => {
      throw new Error("no pulumi in tests");
    },
    awsSetup: (o) => {
      seen.outputs = o;
      return setup();
    },
    labSetup: async () => setup(),
    makeLoad: () => {
      throw new Error("no load in these tests");
    },
    runDrill,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    drillOptions: { clock, signals: null },
    ...extra,
  };
  return { deps, out, err, seen };
}

describe("main", () => {
  it("--outputs fixture: parses the outputs, runs the drill, prints the compact report, exit 0", async () => {
    const { deps, out, err, seen } = fakeDeps(workerScript({}));
    const code = await main(["--outputs", FIXTURE, "--connections", "0", "--json", "-"], deps);
    expect(code).toBe(0);
    expect(seen.outputs?.stackTags).toEqual({ project: "swarm-ha", stack: "dev" });
    expect(seen.closed).toBe(1);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0]);
    expect(report).toMatchObject({ scenario: "stop-worker", target: { node: "w1" }, detectSeconds: 4, restoreSeconds: 9, passed: true });
    expect(report).not.toHaveProperty("timeline");
    expect(err.join("")).toContain("chaos: PASSED: stopped w1 (worker); marked down after 4.00 s, 3/3 running on Ready nodes after 9.00 s, rejoined after 2.00 s");
  });

  it("exit 1 when not restored, with the reason; exit 3 when refused; both write the report", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-cli-"));
    const failing = fakeDeps(workerScript({ restoreAt: 10_000 }));
    expect(await main(["--lab", "--deadline", "10", "--connections", "0", "--json", path.join(dir, "r.json"), "--report-dir", path.join(dir, "rep")], failing.deps)).toBe(1);
    const r = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
    expect(r.passed).toBe(false);
    expect(r.reason).toContain("not restored within the 10 s deadline");
    expect(r.timeline.length).toBeGreaterThan(40);
    expect(fs.readdirSync(path.join(dir, "rep")).sort()).toEqual(["report.json", "report.md", "timeline.svg"]);
    expect(failing.seen.swarm?.startCalls).toEqual(["w1"]);

    const refused = fakeDeps(workerScript({}));
    expect(await main(["--lab", "--target", "manager", "--connections", "0"], refused.deps)).toBe(3);
    expect(refused.err.join("")).toContain("REFUSED: cannot stop the only manager: m1");
    expect(refused.seen.swarm?.stopCalls).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });

  it("bad flags exit 2 before touching anything", async () => {
    const { deps, err, seen } = fakeDeps(workerScript({}));
    expect(await main(["--outputs", FIXTURE, "--deadline", "-1"], deps)).toBe(2);
    expect(err).toEqual(["chaos: --deadline needs a value, e.g. --deadline 60\n"]);
    expect(seen.setups).toBe(0);
  });

  it("unreadable or hidden-secret outputs exit 1 with the field named, nothing touched", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-cli-"));
    const hidden = path.join(dir, "o.json");
    fs.writeFileSync(hidden, JSON.stringify({ ...JSON.parse(fs.readFileSync(FIXTURE, "utf8")), sshPrivateKey: "[secret]" }));
    const { deps, err, seen } = fakeDeps(workerScript({}));
    expect(await main(["--outputs", hidden], deps)).toBe(1);
    expect(err.join("")).toContain('stack output "sshPrivateKey": is a hidden secret');
    expect(await main(["--stack", "dev"], deps)).toBe(1);
    expect(err.join("")).toContain("no pulumi in tests");
    expect(seen.setups).toBe(0);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("the real process", () => {
  it("exits 2 with one line on a bad flag", () => {
    const root = path.join(__dirname, "../..");
    const p = spawnSync(process.execPath, ["--import", "tsx", "chaos/cli.ts", "--lab", "--deadline", "later"], { cwd: root, encoding: "utf8" });
    expect(p.status).toBe(2);
    expect(p.stderr).toBe('chaos: --deadline must be a whole number of seconds from 1 to 3600 (got "later"), e.g. --deadline 60\n');
    expect(p.stdout).toBe("");
  });
});
