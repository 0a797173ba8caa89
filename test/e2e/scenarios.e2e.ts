/**
 * End to end: two of the failure matrix's scenarios on the default lab, the cheapest that prove
 * something only a real swarm can show (the third, rolling-update, takes two full rollouts; run it
 * with scripts/scenarios.ts):
 *  - bad-update: a spec whose health check never passes is posted under load; swarm rolls it back
 *    by itself (UpdateConfig.FailureAction rollback) and the service ends on its original spec;
 *  - nfs-stop: the NFS log server stops for 20 s under load and returns; every answered request's
 *    line is read back over NFSv4.
 * Imported by run.test.ts after the other lab suites (one Docker engine, one lab at a time).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScenarioResult } from "../../chaos/scenarios/matrix";
import { LabInfo, labContainers, NFS, up } from "../../lab/lab";
import { nfsStop } from "../../lab/nfsOutage";
import { LabOptions, parseArgs } from "../../lab/settings";
import { badUpdate } from "../../lab/updateScenarios";
import { nodeEngine } from "../../lab/engines";
import { canonical } from "../../chaos/scenarios/updateScenario";
import { ENGINE_PROBLEM } from "./engine";
import { leaseLab } from "./labHandover";

const MIN = 60_000;
const CONNECTIONS = 100;

describe
  .skipIf(ENGINE_PROBLEM !== undefined)
  .sequential(
    `lab scenarios: bad-update, nfs-stop${ENGINE_PROBLEM ? ` (skipped: no Docker engine: ${ENGINE_PROBLEM})` : ""}`,
    () => {
      const say = (l: string) => console.log(`[e2e scenarios] ${l}`);
      let info: LabInfo;
      let specBefore: string;
      let bad: ScenarioResult;
      let nfs: ScenarioResult;
      const opts = parseArgs(["up", "--no-drill"], process.env) as LabOptions;
      const lease = leaseLab("lab scenarios: bad-update, nfs-stop", opts);
      const templateNow = async () =>
        canonical(
          ((await nodeEngine(info.managers[0], 10_000).getService("was").inspect()) as any).Spec
            .TaskTemplate.ContainerSpec,
        );

      beforeAll(async () => {
        info = await up(opts, say);
        specBefore = await templateNow();
      }, 8 * MIN);

      afterAll((suite) => lease.finish(suite, say), 2 * MIN);

      it(
        "bad-update: swarm rolls the failing health check back by itself, 0 failed, original spec at the end",
        async () => {
          bad = await badUpdate(info, { connections: CONNECTIONS, log: say });
          say(
            `bad-update: ${JSON.stringify({ passed: bad.passed, failures: bad.failures, load: bad.load, rollbackSeconds: bad.detail?.rollbackSeconds })}`,
          );
          expect(bad.failures).toEqual([]);
          expect(bad.passed).toBe(true);
          expect(bad.detail?.rollbackSeconds).toBeGreaterThan(0);
          expect(bad.detectSeconds).toBeGreaterThan(0);
          // swarm may report rollback_completed at the first poll that sees the rollback (seen on this machine).
          expect(bad.marks?.some((m) => m.label.startsWith("swarm: rollback_"))).toBe(true);
          expect(bad.load.requests).toBeGreaterThan(1000);
          expect(await templateNow()).toBe(specBefore);
        },
        4 * MIN,
      );

      it(
        "nfs-stop: requests keep succeeding through a 20 s outage; every answered request's line is on the export",
        async () => {
          nfs = await nfsStop(info, { connections: CONNECTIONS, log: say });
          const d = nfs.detail ?? {};
          say(
            `nfs-stop: ${JSON.stringify({ passed: nfs.passed, failures: nfs.failures, load: nfs.load, answered: d.linesAnswered, onExport: d.linesOnExport, lost: d.linesLost })}`,
          );
          expect(nfs.failures).toEqual([]);
          expect(d.linesLost).toBe(0);
          expect(d.linesAnswered).toBe(nfs.load.requests - nfs.load.failed);
          expect(nfs.marks?.map((m) => m.label)).toContain("NFS server down");
          expect((await labContainers()).find((c) => c.name === NFS)?.state).toBe("running");
        },
        4 * MIN,
      );
    },
  );
