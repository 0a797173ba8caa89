/**
 * The rolling-update and bad-update scenarios' pure part: reading a service's UpdateStatus and
 * tasks (Docker Engine API objects) into samples, and judging a timeline of samples. The lab side
 * (lab/updateScenarios.ts) only posts the update and polls.
 *
 * UpdateStatus.State is one of updating, paused, completed, rollback_started, rollback_paused,
 * rollback_completed (Engine API, ServiceUpdateStatus). Right after an update call the engine may
 * still report the previous update's state, so a status that started before the request is
 * treated as no status at all, and "done" always also requires the tasks themselves.
 */
import { healthcheckCommand } from "../../renderers/serviceSpec";
import { round1 } from "./scenarioResult";
import type { ScenarioMark } from "./matrix";

type EngineObject = Record<string, any>;

/** One poll of the service during an update. */
export interface UpdateSample {
  /** Seconds since the update request. */
  readonly t: number;
  /** UpdateStatus.State of this update (null: none yet, or the previous update's). */
  readonly state: string | null;
  readonly message: string;
  /** Replicas the service wants. */
  readonly desired: number;
  /** Tasks that should run and do (state running). */
  readonly running: number;
  /** Of those, the ones created from the spec the scenario waits for (new one, or the original). */
  readonly onTarget: number;
}

/** JSON with sorted keys, so two engine objects compare by content, not by key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The update's state from GET /services/{id}; null when it started before `requestedAtMs` (stale). */
export function parseUpdateStatus(
  svc: EngineObject,
  requestedAtMs: number,
): { state: string | null; message: string } {
  const u = svc.UpdateStatus as EngineObject | undefined;
  if (!u || typeof u.State !== "string") return { state: null, message: "" };
  const started = Date.parse(String(u.StartedAt ?? ""));
  // One second of slack: the engine's clock is this machine's, but its timestamps are truncated.
  if (Number.isFinite(started) && started < requestedAtMs - 1000)
    return { state: null, message: "" };
  return { state: u.State, message: String(u.Message ?? "") };
}

/** One sample from the service and its tasks (GET /tasks?filters={"service":[...]}), against a target ContainerSpec. */
export function sampleOf(
  t: number,
  svc: EngineObject,
  tasks: readonly EngineObject[],
  target: unknown,
  requestedAtMs: number,
): UpdateSample {
  const want = canonical(target);
  const live = tasks.filter((x) => x.DesiredState === "running" && x.Status?.State === "running");
  return {
    t: round1(t),
    ...parseUpdateStatus(svc, requestedAtMs),
    desired: Number(svc.Spec?.Mode?.Replicated?.Replicas ?? 0),
    running: live.length,
    onTarget: live.filter((x) => canonical(x.Spec?.ContainerSpec) === want).length,
  };
}

/** Every desired replica runs, and from the target spec. */
export function allOnTarget(s: UpdateSample): boolean {
  return s.desired > 0 && s.running === s.desired && s.onTarget === s.desired;
}

/** Marks for each step of the replacement (k/N tasks on the target spec) and each state change. */
function progressMarks(samples: readonly UpdateSample[], what: string): ScenarioMark[] {
  const marks: ScenarioMark[] = [];
  let state: string | null = null;
  let on = samples[0]?.onTarget ?? 0;
  for (const s of samples) {
    if (s.state !== null && s.state !== state)
      marks.push({ t: s.t, label: `swarm: ${s.state}${s.message ? ` (${s.message})` : ""}` });
    if (s.onTarget > on)
      marks.push({ t: s.t, label: `${s.onTarget}/${s.desired} tasks on the ${what}` });
    state = s.state ?? state;
    on = s.onTarget;
  }
  return marks;
}

export interface UpdateJudgement {
  /** Seconds from the request until the state said done and every replica ran the target spec; null if never. */
  readonly doneSeconds: number | null;
  /** bad-update: seconds until swarm started the rollback (it detected the failure); null otherwise. */
  readonly detectSeconds: number | null;
  readonly problems: readonly string[];
  readonly marks: readonly ScenarioMark[];
}

const last = (samples: readonly UpdateSample[]) => {
  const s = samples[samples.length - 1];
  return s
    ? `state ${s.state ?? "none"}, ${s.onTarget}/${s.desired} on the target spec, ${s.running} running`
    : "no sample";
};

/**
 * rolling-update: done at the first sample with state "completed" and every replica running the
 * new spec. A pause or any rollback fails it (the new spec was good; swarm should not have balked).
 */
export function judgeRollingUpdate(
  samples: readonly UpdateSample[],
  deadlineSeconds: number,
): UpdateJudgement {
  const problems: string[] = [];
  const balked = samples.find(
    (s) => s.state === "paused" || (s.state ?? "").startsWith("rollback"),
  );
  if (balked)
    problems.push(
      `swarm did not finish the update: state ${balked.state} at ${balked.t} s${balked.message ? ` (${balked.message})` : ""}`,
    );
  const done = balked ? undefined : samples.find((s) => s.state === "completed" && allOnTarget(s));
  if (!done && !balked)
    problems.push(
      `the update did not complete within ${deadlineSeconds} s (last: ${last(samples)})`,
    );
  const marks = [{ t: 0, label: "update requested" }, ...progressMarks(samples, "new spec")];
  if (done)
    marks.push({
      t: done.t,
      label: `update completed, ${done.desired}/${done.desired} on the new spec`,
    });
  return { doneSeconds: done ? done.t : null, detectSeconds: null, problems, marks };
}

/**
 * bad-update: swarm itself must start a rollback and complete it, with every replica back on the
 * original spec. "paused" or "rollback_paused" (someone must step in) fails loudly, as does
 * "completed" (the failing spec went through) and no rollback within the deadline.
 */
export function judgeBadUpdate(
  samples: readonly UpdateSample[],
  deadlineSeconds: number,
): UpdateJudgement {
  const problems: string[] = [];
  const paused = samples.find((s) => s.state === "paused" || s.state === "rollback_paused");
  if (paused) {
    problems.push(
      `swarm ${paused.state === "paused" ? "paused the update" : "paused the rollback"} at ${paused.t} s instead of rolling back by itself${paused.message ? ` (${paused.message})` : ""}; the service needs an operator now`,
    );
  }
  const accepted = samples.find((s) => s.state === "completed");
  if (accepted)
    problems.push(
      `swarm completed the update with the failing health check at ${accepted.t} s: nothing stopped the bad spec`,
    );
  // The first rollback state seen: a fast rollback may already read rollback_completed at the next poll.
  const started = samples.find(
    (s) => s.state === "rollback_started" || s.state === "rollback_completed",
  );
  const done = started
    ? samples.find((s) => s.t >= started.t && s.state === "rollback_completed" && allOnTarget(s))
    : undefined;
  if (!started && !paused && !accepted)
    problems.push(`swarm never rolled back within ${deadlineSeconds} s (last: ${last(samples)})`);
  else if (started && !done && !paused)
    problems.push(
      `the rollback started at ${started.t} s but did not complete within ${deadlineSeconds} s (last: ${last(samples)})`,
    );
  const marks = [
    { t: 0, label: "failing update requested" },
    ...progressMarks(samples, "original spec"),
  ];
  if (done)
    marks.push({
      t: done.t,
      label: `rolled back, ${done.desired}/${done.desired} on the original spec`,
    });
  const ok = problems.length === 0 && done;
  return {
    doneSeconds: ok ? done.t : null,
    detectSeconds: started ? started.t : null,
    problems,
    marks,
  };
}

/** What the scenario verifies after the fact, from a last sample: every replica on the expected spec. */
export function finalCheck(s: UpdateSample, what: string): string[] {
  return allOnTarget(s)
    ? []
    : [`at the end ${s.onTarget} of ${s.desired} replicas ran the ${what} (${s.running} running)`];
}

/** Env key the rolling update changes (a new release marker, as an operator's --env-add would). */
export const RELEASE_ENV = "SWARM_HA_RELEASE";
/** A health path the sample app answers with 404: the check fails, the app still serves GET /. */
export const NEVER_HEALTHY_PATH = "/healthz-bad-update-never-healthy";

/** The spec with one env key set (replacing an old value), as `docker service update --env-add K=V`. */
export function withEnv(spec: EngineObject, key: string, value: string): EngineObject {
  const s = structuredClone(spec);
  const env = (s.TaskTemplate.ContainerSpec.Env ?? []) as string[];
  s.TaskTemplate.ContainerSpec.Env = [
    ...env.filter((e) => !e.startsWith(`${key}=`)),
    `${key}=${value}`,
  ];
  return s;
}

/** The spec with a health check on a path the app answers 404: no task of it ever becomes healthy. */
export function withFailingHealthcheck(spec: EngineObject, port: number): EngineObject {
  const s = structuredClone(spec);
  s.TaskTemplate.ContainerSpec.HealthCheck = {
    ...s.TaskTemplate.ContainerSpec.HealthCheck,
    Test: healthcheckCommand(port, NEVER_HEALTHY_PATH),
  };
  return s;
}
