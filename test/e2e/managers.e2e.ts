/**
 * End to end: a lab with 3 managers; `npm run chaos -- --lab --target manager` stops the Raft
 * leader under load, a new leader is elected and the replicas are restored. Then
 * `npm run lab -- replace` (lab/replace.ts) replaces the current leader and a worker with fresh
 * engines that rejoin through the AWS join/prune scripts; then down.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabObserver } from "../../lab/adapters";
import { LabInfo, up } from "../../lab/lab";
import { replaceNode, ReplaceResult } from "../../lab/replace";
import { StuckDownRepair } from "../../lab/stuckDown";
import { LabOptions, parseArgs, SERVICE } from "../../lab/settings";
import { ENGINE_PROBLEM, chaosDrillOnLab } from "./engine";
import { leaseLab } from "./labHandover";

const MIN = 60_000;

describe
  .skipIf(ENGINE_PROBLEM !== undefined)
  .sequential(
    `lab with 3 managers: leader drill${ENGINE_PROBLEM ? ` (skipped: no Docker engine: ${ENGINE_PROBLEM})` : ""}`,
    () => {
      const say = (l: string) => console.log(`[e2e managers] ${l}`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-managers-"));
      let info: LabInfo;
      let leaderBefore: string | undefined;
      let result: { code: number; stderr: string };
      let report: Record<string, any>;
      const opts = parseArgs(["up", "--managers", "3", "--no-drill"], process.env) as LabOptions;
      const lease = leaseLab("lab with 3 managers", opts);

      beforeAll(async () => {
        info = await up(opts, say);
        leaderBefore = (await new LabObserver(info.managers).nodes()).find(
          (n) => n.leader,
        )?.hostname;
        ({ result, report } = chaosDrillOnLab("manager", path.join(dir, "report.json"), say));
      }, 8 * MIN);

      afterAll((suite) => lease.finish(suite, say), 2 * MIN);

      it("stops the leader, elects a new one and restores the replicas (exit 0)", () => {
        expect(report.failures).toEqual([]); // the verdict's reasons first: they say why an exit is not 0
        expect(result.code).toBe(0);
        expect(report.scenario).toBe("stop-manager");
        expect(report.target).toEqual({ node: leaderBefore, role: "manager" });
        expect(report.passed).toBe(true);
        expect(report.replicas).toEqual({ desired: 3, runningOnReady: 3 });
        expect(report.leader?.after).toBeDefined();
        expect(report.leader.after).not.toBe(leaderBefore);
        // Timings: the leader is seen Down and a new one elected, both within the deadline; a leader
        // that ran no task reports no restore (restoreNote) instead of a ~0 s one.
        expect(report.detectSeconds).toBeGreaterThan(0);
        expect(report.leader.electedSeconds).toBeGreaterThan(0);
        expect(report.leader.electedSeconds).toBeLessThan(report.deadlineSeconds);
        if (report.restoreSeconds === null) expect(report.restoreNote).toMatch(/ran no task/);
        else expect(report.restoreSeconds).toBeGreaterThanOrEqual(report.detectSeconds);
        expect(report.failures).toEqual([]);
      });

      it(
        "converges within 60 s to three Ready managers, one leader, the replicas on Ready nodes (a node swarmkit keeps Down while alive restarted after 20 s)",
        async () => {
          const obs = new LabObserver(info.managers);
          const stuck = new StuckDownRepair(20, say);
          const until = Date.now() + 60_000;
          let last: string;
          for (;;) {
            const [nodes, tasks] = await Promise.all([obs.nodes(), obs.tasks(SERVICE)]).catch(
              () => [[], []] as const,
            );
            const ready = new Set(nodes.filter((n) => n.status === "ready").map((n) => n.id));
            const managers = nodes.filter((n) => n.role === "manager");
            const running = tasks.filter(
              (t) => t.state === "running" && t.desiredState === "running" && ready.has(t.nodeId),
            );
            last =
              nodes.map((n) => `${n.hostname}:${n.status}${n.leader ? "*" : ""}`).join(" ") +
              ` running=${running.length}`;
            if (
              ready.size === nodes.length &&
              nodes.length === 6 &&
              managers.length === 3 &&
              managers.filter((n) => n.leader).length === 1 &&
              running.length === 3
            )
              break;
            if (Date.now() > until) throw new Error(`not converged after 60 s: ${last}`);
            await stuck.check(nodes);
            await new Promise((r) => setTimeout(r, 500));
          }
          say(
            `converged: ${last}${stuck.repairs.length ? `; repaired: ${stuck.repairs.join("; ")}` : ""}`,
          );
        },
        2 * MIN,
      );

      /** The replacement's own verdict plus what the issue asks for, read from its result. */
      function expectRejoined(r: ReplaceResult, role: "manager" | "worker"): void {
        if (r.repairs.length) say(`repaired while waiting: ${r.repairs.join("; ")}`);
        expect(r.failures).toEqual([]);
        expect(r.newId).not.toBe(r.oldId);
        expect(r.prunedAfterJoin).toEqual([r.oldId]);
        expect(r.entries.filter((e) => e.status === "down")).toEqual([]);
        expect(r.entries.map((e) => e.hostname).sort()).toEqual(
          info.layout.nodes.map((n) => n.name).sort(),
        );
        const mine = r.entries.find((e) => e.hostname === r.target)!;
        expect(mine).toMatchObject({ id: r.newId, role, status: "ready" });
        if (role === "manager") expect(mine.reachability).toBe("reachable");
        expect(r.replicas).toEqual({ desired: 3, runningOnReady: 3 });
      }

      it(
        "replace: the current leader gets a fresh engine, rejoins as a manager, quorum held throughout",
        async () => {
          const leader = (await new LabObserver(info.managers).nodes()).find(
            (n) => n.leader,
          )!.hostname;
          const r = await replaceNode(leader, say);
          expectRejoined(r, "manager");
          expect(r.leaderBefore).toBe(leader);
          expect(r.leaderAfter).toBeDefined();
          expect(r.leaderAfter).not.toBe(leader); // the new engine joined as a follower
          say(
            `replaced leader ${leader}: ${r.oldId} → ${r.newId}, Down after ${r.downSeconds} s, rejoined ${r.rejoinSeconds} s after removal, no leader for ${r.leaderlessSeconds} s`,
          );
        },
        3 * MIN,
      );

      it(
        "replace: a worker gets a fresh engine and rejoins; the CLI refuses a node the lab does not have (exit 3)",
        async () => {
          const r = await replaceNode("swarm-ha-worker-2", say);
          expectRejoined(r, "worker");
          expect(r.leaderlessSeconds).toBe(0);
          say(
            `replaced swarm-ha-worker-2: ${r.oldId} → ${r.newId}, rejoined ${r.rejoinSeconds} s after removal`,
          );
          let code = 0;
          let stderr = "";
          try {
            execFileSync("npx", ["--no-install", "tsx", "lab/cli.ts", "replace", "worker-9"], {
              cwd: `${__dirname}/../..`,
              stdio: "pipe",
              encoding: "utf8",
              timeout: MIN,
            });
          } catch (e) {
            ({ status: code, stderr } = e as { status: number; stderr: string });
          }
          expect(code).toBe(3);
          expect(stderr).toMatch(/no container swarm-ha-worker-9 in the running lab/);
        },
        3 * MIN,
      );
    },
  );
