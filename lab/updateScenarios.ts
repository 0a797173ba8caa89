/**
 * The matrix's update scenarios on a running lab, under keep-alive load through the entry point:
 *  - rolling-update: the WAS gets a new environment value the way `docker service update --env-add`
 *    does it (POST /services/{id}/update with the whole spec), so every task is replaced under the
 *    spec's UpdateConfig; 0 failed requests and every replica on the new spec at the end;
 *  - bad-update: the same app with a health check that can never pass; swarm must roll back by
 *    itself (UpdateConfig.FailureAction rollback). The scenario never calls rollback.
 * Both put the service back to the spec it had before, on every exit path (also Ctrl-C).
 * The judging is pure (chaos/scenarios/updateScenario.ts); this module only acts and polls.
 */
import { healingOnSignal } from "../base/signals";
import { HttpLoad } from "../chaos/load/load";
import type { ScenarioName, ScenarioResult } from "../chaos/scenarios/matrix";
import { round1, scenarioResult } from "../chaos/scenarios/scenarioResult";
import type { LoadSummary } from "../chaos/types";
import {
  allOnTarget,
  canonical,
  finalCheck,
  judgeBadUpdate,
  judgeRollingUpdate,
  sampleOf,
  RELEASE_ENV,
  UpdateJudgement,
  UpdateSample,
  withEnv,
  withFailingHealthcheck,
} from "../chaos/scenarios/updateScenario";
import { nodeEngine } from "./engines";
import type { LabInfo, Log } from "./lab";
import { waitRolledOut } from "./rollout";
import { SERVICE } from "./settings";

type EngineObject = Record<string, any>;
export interface ScenarioOptions {
  readonly connections: number;
  readonly log: Log;
}

/** Seconds of load before the change and after it settled (the timeline's flat edges). */
const LEAD_SECONDS = 3;
const TAIL_SECONDS = 2;
const POLL_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first manager whose engine answers (a previous scenario may have stopped one). */
export async function reachableManager(info: LabInfo): Promise<string> {
  for (const m of info.managers) {
    const ok = await nodeEngine(m, 5000)
      .getService(SERVICE)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (ok) return m;
  }
  throw new Error(
    `no manager of ${info.managers.join(", ")} answers for service ${SERVICE}; is the lab up (npm run lab -- status)?`,
  );
}

async function readService(manager: string): Promise<{ svc: EngineObject; tasks: EngineObject[] }> {
  const api = nodeEngine(manager, 10_000);
  const [svc, tasks] = await Promise.all([
    api.getService(SERVICE).inspect() as Promise<EngineObject>,
    api.listTasks({ filters: JSON.stringify({ service: [SERVICE] }) }) as Promise<EngineObject[]>,
  ]);
  return { svc, tasks };
}

async function postSpec(manager: string, spec: EngineObject, version: number): Promise<void> {
  await nodeEngine(manager, 30_000)
    .getService(SERVICE)
    .update({ ...spec, version } as any);
}

/** Polls the service until `done` says so or the deadline passes; the samples are the timeline. */
async function pollUpdate(
  manager: string,
  target: () => unknown,
  t0: number,
  requestedAtMs: number,
  deadlineSeconds: number,
  done: (s: UpdateSample) => boolean,
): Promise<UpdateSample[]> {
  const samples: UpdateSample[] = [];
  while ((performance.now() - t0) / 1000 < deadlineSeconds) {
    const t = (performance.now() - t0) / 1000;
    try {
      const { svc, tasks } = await readService(manager);
      const s = sampleOf(
        t,
        svc,
        tasks,
        target() ?? svc.Spec.TaskTemplate.ContainerSpec,
        requestedAtMs,
      );
      samples.push(s);
      if (done(s)) break;
    } catch {
      // One slow answer under load is not a verdict; the deadline is.
    }
    await sleep(POLL_MS);
  }
  return samples;
}

/**
 * Puts the service back to `original` (its Spec before the scenario) and waits until every task
 * runs it. A paused update or rollback is resumed by posting the spec again (ForceUpdate + 1 when
 * it is already the spec), which is what an operator would do. Returns problems, never throws.
 */
export async function restoreSpec(
  manager: string,
  original: EngineObject,
  log: Log,
): Promise<string[]> {
  try {
    const { svc, tasks } = await readService(manager);
    const sample = sampleOf(0, svc, tasks, original.TaskTemplate.ContainerSpec, 0);
    const sameSpec = canonical(svc.Spec.TaskTemplate) === canonical(original.TaskTemplate);
    const stuck =
      svc.UpdateStatus?.State === "paused" || svc.UpdateStatus?.State === "rollback_paused";
    if (sameSpec && allOnTarget(sample) && !stuck) return [];
    const spec = sameSpec
      ? {
          ...original,
          TaskTemplate: {
            ...original.TaskTemplate,
            ForceUpdate: Number(svc.Spec.TaskTemplate.ForceUpdate ?? 0) + 1,
          },
        }
      : original;
    log(
      `  restoring service ${SERVICE} to its spec from before the scenario${stuck ? ` (update state ${svc.UpdateStatus.State})` : ""}`,
    );
    const t = performance.now();
    await postSpec(manager, spec, svc.Version.Index);
    await waitRolledOut(manager, SERVICE, 180_000);
    log(
      `  service ${SERVICE} back on its original spec (${round1((performance.now() - t) / 1000)} s)`,
    );
    return [];
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log(`  ✘ could not restore service ${SERVICE}: ${msg}`);
    return [
      `restoring the original service spec failed: ${msg}; restore it with npm run lab -- up`,
    ];
  }
}

/** Runs `restore` if the process is interrupted while `f` runs, then exits 130/143 (base/signals.ts). */
export function restoringOnSignal<T>(
  restore: () => Promise<unknown>,
  log: Log,
  f: () => Promise<T>,
): Promise<T> {
  return healingOnSignal(`putting service ${SERVICE} back on its original spec`, restore, log, f);
}

interface UpdateRun {
  readonly name: ScenarioName;
  readonly info: LabInfo;
  readonly o: ScenarioOptions;
  readonly deadlineSeconds: number;
  /** The spec to post, from the service's current one. */
  readonly change: (spec: EngineObject) => EngineObject;
  /** The ContainerSpec the scenario waits for: the new one (undefined: the service's current) or the original. */
  readonly target: (original: EngineObject) => unknown;
  readonly judge: (samples: readonly UpdateSample[], deadlineSeconds: number) => UpdateJudgement;
  /** Stop polling at this sample (done, or a state that can no longer turn out well). */
  readonly stop: (s: UpdateSample) => boolean;
  /** What is posted, and which spec every replica must run at the end (for the log and the final check). */
  readonly what: string;
  readonly endSpec: string;
}

interface LoadedUpdate {
  readonly summary?: LoadSummary;
  readonly samples: readonly UpdateSample[];
  /** A last look after the load stopped: which spec every replica runs. */
  readonly endSample?: UpdateSample;
  /** The load's start on the timeline (seconds from the update request; negative). */
  readonly loadOffsetSeconds: number;
  readonly problems: readonly string[];
}

/** Load, post the change, poll until done (or a dead end), settle, stop the load, take a last look. */
async function updateUnderLoad(
  r: UpdateRun,
  manager: string,
  before: EngineObject,
): Promise<LoadedUpdate> {
  const { info, o } = r;
  const original = before.Spec as EngineObject;
  const load = new HttpLoad({
    url: info.url,
    connections: o.connections,
    maxDurationSeconds: 300,
    timeoutMs: 3000,
  });
  const loadStart = performance.now();
  let t0 = loadStart;
  let samples: UpdateSample[] = [];
  try {
    load.start();
    await sleep(LEAD_SECONDS * 1000);
    const requestedAtMs = Date.now();
    t0 = performance.now();
    o.log(`  ${r.name}: posting the ${r.what} under ${o.connections} connections`);
    await postSpec(manager, r.change(original), before.Version.Index);
    const target = r.target(original);
    samples = await pollUpdate(manager, () => target, t0, requestedAtMs, r.deadlineSeconds, r.stop);
    await sleep(TAIL_SECONDS * 1000);
    const summary = await load.stop();
    const { svc, tasks } = await readService(manager);
    const endSample = sampleOf(
      (performance.now() - t0) / 1000,
      svc,
      tasks,
      target ?? svc.Spec.TaskTemplate.ContainerSpec,
      requestedAtMs,
    );
    return {
      summary,
      samples,
      endSample,
      loadOffsetSeconds: round1((loadStart - t0) / 1000),
      problems: [],
    };
  } catch (e) {
    const summary = await load.stop().catch(() => undefined);
    const problems = [`${r.name} could not run: ${e instanceof Error ? e.message : String(e)}`];
    return { summary, samples, loadOffsetSeconds: round1((loadStart - t0) / 1000), problems };
  }
}

/** The shared procedure: the update under load, the verdict, then the original spec back (always). */
async function runUpdate(r: UpdateRun): Promise<ScenarioResult> {
  const manager = await reachableManager(r.info);
  const before = (await readService(manager)).svc;
  const original = before.Spec as EngineObject;
  const restore = () => restoreSpec(manager, original, r.o.log);
  return restoringOnSignal(restore, r.o.log, async () => {
    const u = await updateUnderLoad(r, manager, before);
    const j = r.judge(u.samples, r.deadlineSeconds);
    const end = u.endSample;
    const restoreStart = performance.now();
    const restored = await restore();
    return scenarioResult({
      name: r.name,
      connections: r.o.connections,
      load: u.summary,
      loadOffsetSeconds: u.loadOffsetSeconds,
      problems: [
        ...j.problems,
        ...u.problems,
        ...(end ? finalCheck(end, r.endSpec) : []),
        ...restored,
      ],
      marks: j.marks,
      detectSeconds: j.detectSeconds,
      detail: {
        [r.name === "bad-update" ? "rollbackSeconds" : "updateSeconds"]: j.doneSeconds,
        finalReplicas: end
          ? { desired: end.desired, running: end.running, onExpectedSpec: end.onTarget }
          : null,
        restoreToOriginalSeconds: round1((performance.now() - restoreStart) / 1000),
        updateConfig: original.UpdateConfig,
        samples: u.samples.length,
        loadFailures: u.summary?.failures ?? {},
      },
    });
  });
}

/** rolling-update (issue 10): a new env value under load, every task replaced, 0 failed. */
export async function rollingUpdate(info: LabInfo, o: ScenarioOptions): Promise<ScenarioResult> {
  return runUpdate({
    name: "rolling-update",
    info,
    o,
    deadlineSeconds: 180,
    change: (spec) => withEnv(spec, RELEASE_ENV, `rolling-update-${new Date().toISOString()}`),
    target: () => undefined, // the service's current ContainerSpec, i.e. the new one
    judge: judgeRollingUpdate,
    stop: (s) =>
      (s.state === "completed" && allOnTarget(s)) ||
      s.state === "paused" ||
      (s.state ?? "").startsWith("rollback"),
    what: `new release (env ${RELEASE_ENV})`,
    endSpec: "new spec",
  });
}

/** bad-update (issue 10): a spec whose health check never passes; swarm must roll back by itself. */
export async function badUpdate(info: LabInfo, o: ScenarioOptions): Promise<ScenarioResult> {
  return runUpdate({
    name: "bad-update",
    info,
    o,
    deadlineSeconds: 120,
    change: (spec) => withFailingHealthcheck(spec, info.config.was.port),
    target: (original) => original.TaskTemplate.ContainerSpec,
    judge: judgeBadUpdate,
    stop: (s) =>
      s.state === "paused" ||
      s.state === "rollback_paused" ||
      s.state === "completed" ||
      (s.state === "rollback_completed" && allOnTarget(s)),
    what: "failing update (health check on a path that answers 404)",
    endSpec: "original spec",
  });
}
