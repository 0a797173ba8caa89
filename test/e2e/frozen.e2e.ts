/**
 * End to end: a drill whose balancers freeze mid-drill must FAIL, in the chaos CLI and in the lab
 * drill alike. The worker stop itself heals as usual, but `docker pause` of the nginx containers
 * for a few seconds under load makes requests time out; the verdict must count them against the
 * budget (0 failed) and list the reason, and both exit codes must say "drill failed" (1).
 * Imported by run.test.ts (one Docker engine, one lab at a time).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../lab/docker";
import { runLabDrills } from "../../lab/drill";
import { labContainers, type LabInfo, up } from "../../lab/lab";
import { type LabOptions, parseArgs } from "../../lab/settings";
import { ENGINE_PROBLEM } from "./engine";
import { leaseLab } from "./labHandover";

const MIN = 60_000;
const FREEZE_MS = 4000;

/** Pauses every balancer for FREEZE_MS, 1 s after the load started; resolves once unpaused. */
async function freezeBalancers(say: (l: string) => void): Promise<void> {
  const nginx = (await labContainers()).filter((c) => c.role === "nginx").map((c) => c.name);
  await new Promise((r) => setTimeout(r, 1000));
  say(`docker pause ${nginx.join(" ")} for ${FREEZE_MS} ms`);
  await docker(["pause", ...nginx]);
  try {
    await new Promise((r) => setTimeout(r, FREEZE_MS));
  } finally {
    await docker(["unpause", ...nginx]);
    say("unpaused");
  }
}

describe
  .skipIf(ENGINE_PROBLEM !== undefined)
  .sequential(
    `frozen balancers fail the drill${ENGINE_PROBLEM ? ` (skipped: no Docker engine: ${ENGINE_PROBLEM})` : ""}`,
    () => {
      const say = (l: string) => console.log(`[e2e frozen] ${l}`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-frozen-"));
      let info: LabInfo;
      let cli: { code: number | null; stderr: string; report: Record<string, any> };
      let lab: { passed: boolean; failures: readonly string[]; report: Record<string, any> };
      const opts = parseArgs(["up", "--no-drill"], process.env) as LabOptions;
      const lease = leaseLab("frozen balancers fail the drill", opts);

      beforeAll(async () => {
        info = await up(opts, say);

        // 1. The chaos CLI, as a user runs it; the balancers freeze once its load has started.
        const file = path.join(dir, "cli.json");
        const child = spawn(
          "npx",
          ["--no-install", "tsx", "cli/chaos.ts", "--lab", "--target", "worker", "--json", file],
          { cwd: path.join(__dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] },
        );
        let stderr = "";
        let frozen: Promise<void> | undefined;
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
          if (!frozen && stderr.includes("load-start")) frozen = freezeBalancers(say);
        });
        const code = await new Promise<number | null>((r) => child.on("close", r));
        await frozen;
        say(`chaos CLI exit ${code}: ${stderr.trim().split("\n").pop()}`);
        cli = { code, stderr, report: JSON.parse(fs.readFileSync(file, "utf8")) };

        // 2. The lab drill (tuned only, no baseline), frozen the same way.
        const o = parseArgs(
          ["drill", "--no-baseline", "--report-dir", path.join(dir, "lab")],
          process.env,
        ) as LabOptions;
        let labFrozen: Promise<void> | undefined;
        const r = await runLabDrills(info, o, (l) => {
          say(l);
          if (!labFrozen && l.includes("load-start")) labFrozen = freezeBalancers(say);
        });
        await labFrozen;
        lab = {
          passed: r.passed,
          failures: r.failures,
          report: JSON.parse(fs.readFileSync(r.file, "utf8")),
        };
      }, 10 * MIN);

      afterAll((suite) => lease.finish(suite, say), 2 * MIN);

      it("the CLI drill FAILS with exit 1 and a failures[] entry about failed requests, though replicas were restored", () => {
        expect(cli.code).toBe(1);
        expect(cli.report.passed).toBe(false);
        expect(cli.report.restoreSeconds).not.toBeNull();
        expect(cli.report.load.failed).toBeGreaterThan(0);
        expect(cli.report.failures).toContainEqual(
          expect.stringMatching(/^\d+ of \d+ requests failed \(budget 0; --max-failed\)$/),
        );
        expect(cli.report.targets).toMatchObject({ maxFailed: 0, maxP99Ms: 1500 });
        expect(cli.stderr).toContain("FAILED: stopped");
      });

      it("the lab drill FAILS the same way (its exit code follows r.passed)", () => {
        expect(lab.passed).toBe(false);
        expect(lab.failures).toContainEqual(
          expect.stringMatching(/requests failed \(budget 0; --max-failed\)/),
        );
        expect(lab.report.passed).toBe(false);
        expect(lab.report.load.failed).toBeGreaterThan(0);
      });
    },
  );
