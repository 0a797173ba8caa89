import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import type { StackOutputs } from "../../chaos/aws/aws";
import { type CliDeps, type DrillSetup, main, parseArgs, UsageError } from "../../chaos/cli";
import { runDrill } from "../../chaos/drill/core";
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
    expect(
      parseArgs(["--outputs", "-", "--target", "worker", "--deadline", "90", "--json", "-"]),
    ).toEqual({
      source: { kind: "outputs", file: "-" },
      target: "worker",
      fault: "stop",
      deadlineSeconds: 90,
      rejoinDeadlineSeconds: 300,
      json: "-",
      connections: 50,
      maxFailed: 0,
      maxP99Ms: 1500,
    });
    expect(
      parseArgs([
        "--lab",
        "--target=manager",
        "--connections=0",
        "--url",
        "http://127.0.0.1:8080/",
      ]),
    ).toMatchObject({
      source: { kind: "lab" },
      target: "manager",
      connections: 0,
      url: "http://127.0.0.1:8080/",
    });
    expect(parseArgs(["--stack", "org/swarm-ha/dev"])).toMatchObject({
      source: { kind: "stack", stack: "org/swarm-ha/dev" },
      deadlineSeconds: 60,
    });
    expect(parseArgs(["--help"])).toBe("help");
  });

  it("names the flag and the fix in one line", () => {
    expect(usage(["--lab", "--deadine", "5"])).toBe(
      "unknown flag --deadine; run npm run chaos -- --help for the flags",
    );
    expect(usage(["--lab", "--deadline", "soon"])).toBe(
      '--deadline must be a whole number of seconds from 1 to 3600 (got "soon"), e.g. --deadline 60',
    );
    expect(usage(["--lab", "--deadline", "0"])).toMatch(
      /^--deadline must be a whole number of seconds from 1 to 3600 \(got "0"\)/,
    );
    expect(usage(["--lab", "--deadline"])).toBe("--deadline needs a value, e.g. --deadline 60");
    expect(usage(["--lab", "--target", "--deadline", "5"])).toBe(
      "--target needs a value, e.g. --target worker",
    );
    expect(usage(["--lab", "--connections", "-3"])).toBe(
      '--connections must be a whole number of connections from 0 to 2000 (got "-3"), e.g. --connections 50',
    );
    expect(usage(["--lab", "--deadline", "-1"])).toBe(
      '--deadline must be a whole number of seconds from 1 to 3600 (got "-1"), e.g. --deadline 60',
    );
    expect(usage(["--lab", "--max-failed", "-2"])).toBe(
      '--max-failed must be a whole number of requests from 0 to 1000000000 (got "-2"), e.g. --max-failed 0',
    );
    expect(usage(["--lab", "--max-p99-ms", "0"])).toBe(
      '--max-p99-ms must be a whole number of milliseconds from 1 to 600000 (got "0"), e.g. --max-p99-ms 1500',
    );
    expect(parseArgs(["--lab", "--max-failed", "3", "--max-p99-ms=900"])).toMatchObject({
      maxFailed: 3,
      maxP99Ms: 900,
    });
    // An abrupt loss of the address holder may cost one request per open connection; nothing else may.
    expect(
      parseArgs(["--lab", "--target", "edge", "--fault", "kill", "--connections", "200"]),
    ).toMatchObject({ maxFailed: 200 });
    expect(parseArgs(["--lab", "--target", "az:az-b", "--connections", "120"])).toMatchObject({
      maxFailed: 120,
    });
    expect(parseArgs(["--lab", "--target", "edge", "--connections", "200"])).toMatchObject({
      maxFailed: 0,
    });
    expect(
      parseArgs(["--lab", "--target", "worker", "--fault", "kill", "--connections", "200"]),
    ).toMatchObject({ maxFailed: 0 });
    expect(
      parseArgs([
        "--lab",
        "--target",
        "edge",
        "--fault",
        "kill",
        "--connections",
        "200",
        "--max-failed",
        "0",
      ]),
    ).toMatchObject({ maxFailed: 0 });
    expect(usage(["--lab", "--connections", "5000"])).toMatch(
      /^--connections must be a whole number of connections from 0 to 2000/,
    );
    expect(parseArgs(["--lab", "--target", "edge"])).toMatchObject({
      source: { kind: "lab" },
      target: "edge",
    });
    expect(usage(["--lab", "--target", "w1;reboot"])).toMatch(
      /^--target "w1;reboot" must be worker, manager, edge, az:<zone> or a node host name/,
    );
    expect(usage(["--lab", "--url", "file:///etc/passwd"])).toMatch(
      /^--url "file:\/\/\/etc\/passwd" must be an http\(s\) URL/,
    );
    expect(usage(["--lab", "--stack", "dev"])).toBe(
      "--stack and --lab are exclusive; pass exactly one of --stack, --outputs, --lab",
    );
    expect(usage(["--target", "worker"])).toBe(
      "say what to drill: --stack <name>, --outputs <file.json> or --lab",
    );
    expect(usage(["--lab", "--lab=yes"])).toBe('--lab takes no value; drop "=yes"');
    expect(usage(["--lab", "--deadline", "5", "--deadline", "6"])).toBe(
      "--deadline is given twice; keep one",
    );
    expect(usage(["--lab", "worker"])).toBe(
      'unexpected argument "worker"; flags take the form --name value',
    );
  });

  it("--fault: stop (default), kill, partition; every other value fails naming the flag and the kinds", () => {
    expect(parseArgs(["--lab"])).toMatchObject({ fault: "stop" });
    expect(parseArgs(["--lab", "--fault", "kill"])).toMatchObject({ fault: "kill" });
    expect(parseArgs(["--lab", "--fault=partition", "--target", "edge"])).toMatchObject({
      fault: "partition",
      target: "edge",
    });
    expect(parseArgs(["--outputs", "-", "--fault", "stop"])).toMatchObject({ fault: "stop" });
    for (const bad of [
      "Kill",
      "KILL",
      "reboot",
      "az-loss",
      "kill;reboot",
      " kill",
      "stop,kill",
      "0",
    ]) {
      expect(usage(["--lab", "--fault", bad]), bad).toBe(
        `--fault must be one of stop, kill, partition (got ${JSON.stringify(bad)}), e.g. --fault kill`,
      );
    }
    expect(usage(["--lab", "--fault"])).toBe("--fault needs a value, e.g. --fault kill");
    expect(usage(["--lab", "--fault="])).toBe("--fault needs a value, e.g. --fault kill");
    expect(usage(["--lab", "--fault", "--target", "worker"])).toBe(
      "--fault needs a value, e.g. --fault kill",
    );
    expect(usage(["--lab", "--fault", "kill", "--fault", "stop"])).toBe(
      "--fault is given twice; keep one",
    );
  });
});

/** Deps whose AWS setup is a scripted swarm; records what was touched. */
function fakeDeps(script: Script, extra: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const seen: { outputs?: StackOutputs; setups: number; closed: number; swarm?: ScriptedSwarm } = {
    setups: 0,
    closed: 0,
  };
  const clock = new FakeClock();
  const setup = (): DrillSetup => {
    seen.setups++;
    const swarm = new ScriptedSwarm(clock, script);
    seen.swarm = swarm;
    return {
      observer: swarm,
      stopper: swarm,
      service: "was",
      url: "http://127.0.0.1:1/",
      allowHosts: [],
      managersRunTasks: false,
      close: () => void seen.closed++,
    };
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
    awsEdgeSetup: () => {
      throw new Error("no balancer pair in these tests");
    },
    labEdgeSetup: async () => {
      throw new Error("no balancer pair in these tests");
    },
    makeLoad: () => {
      throw new Error("no load in these tests");
    },
    runDrill,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    drillOptions: { clock, signals: null },
    ...extra,
  };
  return { deps, out, err, seen, main: (argv: string[]) => main(argv, deps) };
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
    expect(report).toMatchObject({
      scenario: "stop-worker",
      target: { node: "w1" },
      detectSeconds: 4,
      restoreSeconds: 9,
      passed: true,
    });
    expect(report).not.toHaveProperty("timeline");
    expect(err.join("")).toContain(
      "chaos: PASSED: stopped w1 (worker); marked down after 4.00 s, 3/3 running on Ready nodes after 9.00 s, rejoined after 2.00 s",
    );
  });

  it("exit 1 when not restored, with the reason; exit 3 when refused; both write the report", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-cli-"));
    const failing = fakeDeps(workerScript({ restoreAt: 10_000 }));
    expect(
      await main(
        [
          "--lab",
          "--deadline",
          "10",
          "--connections",
          "0",
          "--json",
          path.join(dir, "r.json"),
          "--report-dir",
          path.join(dir, "rep"),
        ],
        failing.deps,
      ),
    ).toBe(1);
    const r = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
    expect(r.passed).toBe(false);
    expect(r.reason).toContain("not restored within the 10 s deadline");
    expect(r.timeline.length).toBeGreaterThan(40);
    expect(fs.readdirSync(path.join(dir, "rep")).sort()).toEqual([
      "report.json",
      "report.md",
      "timeline.svg",
    ]);
    expect(failing.seen.swarm?.startCalls).toEqual(["w1"]);

    const refused = fakeDeps(workerScript({}));
    expect(await main(["--lab", "--target", "manager", "--connections", "0"], refused.deps)).toBe(
      3,
    );
    expect(refused.err.join("")).toContain("REFUSED: cannot stop the only manager: m1");
    expect(refused.seen.swarm?.stopCalls).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });

  it("bad flags exit 2 before touching anything", async () => {
    const { deps, err, seen } = fakeDeps(workerScript({}));
    expect(await main(["--outputs", FIXTURE, "--deadline", "-1"], deps)).toBe(2);
    expect(err).toEqual([
      'chaos: --deadline must be a whole number of seconds from 1 to 3600 (got "-1"), e.g. --deadline 60\n',
    ]);
    expect(seen.setups).toBe(0);
  });

  it("a missing --outputs file is one clear line and the setup exit code 4, not a raw ENOENT", async () => {
    const { deps, err, seen } = fakeDeps(workerScript({}));
    expect(await main(["--outputs", "/missing.json"], deps)).toBe(4);
    expect(err).toEqual([
      "chaos: could not set up the drill (nothing was touched): cannot read --outputs /missing.json: no such file; save them with pulumi stack output --json --show-secrets > outputs.json\n",
    ]);
    expect(seen.setups).toBe(0);
  });

  it("the exit code follows the verdict: restored in time but requests lost is exit 1 with the reason", async () => {
    const lossy = fakeDeps(workerScript({}), {
      makeLoad: () => ({
        start: () => undefined,
        stop: async () => ({
          connections: 5,
          durationSeconds: 14,
          requests: 700,
          failed: 4,
          p50Ms: 3,
          p99Ms: 40,
          perSecond: [],
          perNode: {},
          failures: { "status 502": 4 },
        }),
      }),
    });
    expect(await lossy.main(["--lab", "--connections", "5", "--json", "-"])).toBe(1);
    const report = JSON.parse(lossy.out[0]);
    expect(report).toMatchObject({
      passed: false,
      restoreSeconds: 9,
      failures: ["4 of 700 requests failed (budget 0; --max-failed)"],
      targets: { maxFailed: 0, maxP99Ms: 1500, deadlineSeconds: 60 },
    });
    expect(lossy.err.join("")).toContain(
      "chaos: FAILED: stopped w1 (worker); marked down after 4.00 s, 3/3 running on Ready nodes after 9.00 s",
    );
    const allowed = fakeDeps(workerScript({}), { makeLoad: lossy.deps.makeLoad });
    expect(await allowed.main(["--lab", "--connections", "5", "--max-failed", "4"])).toBe(0);
  });

  it("--fault reaches the setup (with the partition's expiry) and the report: fault, drill name", async () => {
    const kinds: unknown[] = [];
    const f0 = fakeDeps(workerScript({}));
    const deps: CliDeps = {
      ...f0.deps,
      labSetup: async (log, fault) => {
        kinds.push(fault);
        return f0.deps.labSetup(log, fault);
      },
      awsSetup: (o, log, fault) => {
        kinds.push(fault);
        return f0.deps.awsSetup(o, log, fault);
      },
    };
    const f = { ...f0, main: (argv: string[]) => main(argv, deps) };
    expect(
      await f.main([
        "--lab",
        "--fault",
        "kill",
        "--deadline",
        "30",
        "--connections",
        "0",
        "--json",
        "-",
      ]),
    ).toBe(0);
    expect(JSON.parse(f.out[0])).toMatchObject({
      scenario: "stop-worker",
      fault: "kill",
      drill: "worker-kill",
      passed: true,
      afterReturn: { running: 3, desired: 3 },
    });
    expect(f.err.join("")).toContain("chaos: PASSED: killed w1 (worker)");
    expect(
      await f.main([
        "--outputs",
        FIXTURE,
        "--fault",
        "partition",
        "--connections",
        "0",
        "--json",
        "-",
      ]),
    ).toBe(0);
    expect(JSON.parse(f.out[1])).toMatchObject({ fault: "partition", drill: "worker-partition" });
    expect(kinds).toEqual([
      { kind: "kill", expireAfterSeconds: 90 },
      { kind: "partition", expireAfterSeconds: 120 },
    ]);
  });

  it("a setup that cannot do the fault kind exits 4 and touches nothing", async () => {
    const f = fakeDeps(workerScript({}), {
      labEdgeSetup: async (_log, fault) => {
        throw new Error(`--fault ${fault?.kind} of a balancer is not drilled in the lab`);
      },
    });
    expect(await f.main(["--lab", "--target", "edge", "--fault", "partition"])).toBe(4);
    expect(f.err.join("")).toContain(
      "could not set up the drill (nothing was touched): --fault partition of a balancer",
    );
  });

  it("an orphaned task left on the returning node fails the drill (exit 1): 4 running, not 3", async () => {
    const base = workerScript({});
    // The partitioned w1 comes back but its old task keeps running (desired shutdown): the orphan.
    const orphan: Script = {
      ...base,
      tasks: (w) =>
        base
          .tasks(w)
          .map((t) =>
            t.id === "t1" && w.sinceStart !== undefined
              ? { ...t, state: "running", desiredState: "shutdown" }
              : t,
          ),
    };
    const f = fakeDeps(orphan);
    expect(
      await f.main(["--lab", "--fault", "partition", "--connections", "0", "--json", "-"]),
    ).toBe(1);
    const r = JSON.parse(f.out[0]);
    expect(r.restoreSeconds).toBe(9);
    expect(r.afterReturn).toMatchObject({
      running: 4,
      runningOnReady: 3,
      desired: 3,
      settledSeconds: null,
      orphans: ["t1 on w1"],
    });
    expect(r.failures).toEqual([
      "4 tasks running 30 s after w1 returned, 3 of them on Ready nodes (desired 3, exactly that many must run): orphaned task(s) not shut down: t1 on w1",
    ]);
    expect(f.err.join("")).toContain("then 4 running (desired 3, orphans left)");
  });

  it("prints the measured count, not desired/desired", async () => {
    const failing = fakeDeps(workerScript({ restoreAt: 10_000 }));
    expect(await failing.main(["--lab", "--deadline", "10", "--connections", "0"])).toBe(1);
    expect(failing.err.join("")).toContain("2/3 running on Ready nodes after never");
  });

  it("hidden-secret outputs exit 2 (bad outputs) and unreadable ones 4 (setup), with the field named, nothing touched", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-cli-"));
    const hidden = path.join(dir, "o.json");
    fs.writeFileSync(
      hidden,
      JSON.stringify({
        ...JSON.parse(fs.readFileSync(FIXTURE, "utf8")),
        sshPrivateKey: "[secret]",
      }),
    );
    const { deps, err, seen } = fakeDeps(workerScript({}));
    expect(await main(["--outputs", hidden], deps)).toBe(2);
    expect(err.join("")).toContain('stack output "sshPrivateKey": is a hidden secret');
    expect(await main(["--stack", "dev"], deps)).toBe(4);
    expect(err.join("")).toContain("no pulumi in tests");
    expect(seen.setups).toBe(0);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("the real process", () => {
  it("exits 2 with one line on a bad flag", () => {
    const root = path.join(__dirname, "../..");
    const p = spawnSync(
      process.execPath,
      ["--import", "tsx", "cli/chaos.ts", "--lab", "--deadline", "later"],
      { cwd: root, encoding: "utf8" },
    );
    expect(p.status).toBe(2);
    expect(p.stderr).toBe(
      'chaos: --deadline must be a whole number of seconds from 1 to 3600 (got "later"), e.g. --deadline 60\n',
    );
    expect(p.stdout).toBe("");
  });

  it("exits 2 with one line on a bad --fault", () => {
    const root = path.join(__dirname, "../..");
    const p = spawnSync(
      process.execPath,
      ["--import", "tsx", "cli/chaos.ts", "--lab", "--fault", "explode"],
      { cwd: root, encoding: "utf8" },
    );
    expect(p.status).toBe(2);
    expect(p.stderr).toBe(
      'chaos: --fault must be one of stop, kill, partition (got "explode"), e.g. --fault kill\n',
    );
  });
});
