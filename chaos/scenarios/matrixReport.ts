/**
 * The failure matrix's outputs: matrix.json (issue 10's contract: `{ connections, scenarios: [ {
 * name, passed, restoreSeconds, detectSeconds, load, failures } ] }` plus extra fields), matrix.md
 * (the figures beside their budgets, with Docker's default timings beside the worker scenarios)
 * and one timeline SVG per scenario (the drill's chart: chaos/report/report.ts renderLoadChartSvg). Pure
 * renderers, plus one small function that writes the files.
 */

import * as fs from "fs";
import * as path from "path";
import {
  allowedFailed,
  MATRIX_BUDGETS,
  type MatrixReport,
  type ScenarioName,
  type ScenarioResult,
} from "./matrix";
import { chartBuckets, renderLoadChartSvg, type ChartMark } from "../report/report";

/** A scenario run with Docker's default timings (heartbeat 5 s, restart delay 5 s), for comparison. */
export interface BaselineRow {
  readonly detectSeconds: number | null;
  readonly restoreSeconds: number | null;
  readonly requests: number;
  readonly failed: number;
  readonly passed: boolean;
}

/** One pass of the matrix as written to matrix.json: the contract plus the verdict and context. */
export interface MatrixRun extends MatrixReport {
  readonly passed: boolean;
  /** 1-based pass number and how many passes were asked for (`--passes`). */
  readonly pass?: number;
  readonly passes?: number;
  /** `--baseline`: the worker scenarios with Docker's default timings. */
  readonly baseline?: Partial<Readonly<Record<ScenarioName, BaselineRow>>>;
  /** The lab's shape and timings (managers, workers, heartbeat, ...). */
  readonly lab?: Readonly<Record<string, unknown>>;
  readonly startedAt?: string;
  readonly seconds?: number;
}

/** The budget a row was judged by: the one judgeScenario recorded, else MATRIX_BUDGETS at full allowance. */
export function rowBudget(
  s: ScenarioResult,
  connections: number,
): { restoreSeconds: number | null; maxFailed: number; maxP99Ms: number } {
  const recorded = s.detail?.budget as
    { restoreSeconds: number | null; maxFailed: number; maxP99Ms: number } | undefined;
  if (recorded) return recorded;
  const b = MATRIX_BUDGETS[s.name];
  return {
    restoreSeconds: b.restoreSeconds,
    maxFailed: allowedFailed(b, connections),
    maxP99Ms: b.maxP99Ms,
  };
}

/** One scenario as matrix.json carries it: the contract fields first, then the budget, marks and detail. */
function rowJson(s: ScenarioResult, connections: number): Record<string, unknown> {
  const { name, passed, restoreSeconds, detectSeconds, load, failures } = s;
  return {
    name,
    passed,
    restoreSeconds,
    detectSeconds,
    load: {
      requests: load.requests,
      failed: load.failed,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      resent: load.resent,
    },
    failures: [...failures],
    budget: rowBudget(s, connections),
    ...(s.marks ? { marks: s.marks } : {}),
    ...(s.detail ? { detail: s.detail } : {}),
  };
}

/** matrix.json's object for one pass (per-second load buckets stay in the SVGs). */
export function matrixJsonObject(run: MatrixRun): Record<string, unknown> {
  const { connections, scenarios, ...rest } = run;
  return { connections, scenarios: scenarios.map((s) => rowJson(s, connections)), ...rest };
}

/** matrix.json: stable key order, trailing newline. */
export function renderMatrixJson(run: MatrixRun): string {
  return JSON.stringify(matrixJsonObject(run), null, 2) + "\n";
}

/** matrix-passes.json (`--passes N` > 1): every pass, in order, and whether all of them passed. */
export function renderMatrixPassesJson(runs: readonly MatrixRun[]): string {
  return (
    JSON.stringify(
      {
        passed: runs.length > 0 && runs.every((r) => r.passed),
        passes: runs.map(matrixJsonObject),
      },
      null,
      2,
    ) + "\n"
  );
}

const fmtS = (x: number | null | undefined) =>
  x === null || x === undefined ? "—" : `${x.toFixed(2)} s`;
const mark = (ok: boolean) => (ok ? "✅" : "❌");
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The restore cell: the figure and whether it met its budget (— when the scenario has none). */
function restoreCell(s: ScenarioResult, budget: number | null): [string, string] {
  if (budget === null) return [fmtS(s.restoreSeconds), "—"];
  const note = s.detail?.restoreNote;
  if (s.restoreSeconds === null && typeof note === "string")
    return ["— (no replica lost)", `≤ ${budget} s`];
  return [
    `${fmtS(s.restoreSeconds)} ${mark(s.restoreSeconds !== null && s.restoreSeconds <= budget)}`,
    `≤ ${budget} s`,
  ];
}

/** matrix.md: the verdict, one table of figures beside budgets (and Docker defaults), the reasons, the charts. */
export function renderMatrixMd(run: MatrixRun): string {
  const lines: string[] = [];
  const failed = run.scenarios.filter((s) => !s.passed);
  lines.push(
    `# Failure matrix — ${run.passed ? "PASSED" : "FAILED"}${run.passes && run.passes > 1 ? ` (pass ${run.pass} of ${run.passes})` : ""}`,
    "",
    `${run.scenarios.length} scenario(s) under ${run.connections} keep-alive connections through the floating address; ` +
      `${run.scenarios.length - failed.length} passed, ${failed.length} failed.` +
      (run.startedAt ? ` Started ${run.startedAt}.` : "") +
      (run.seconds !== undefined ? ` Took ${run.seconds} s.` : ""),
    "",
  );
  if (run.lab)
    lines.push(
      `Lab: ${Object.entries(run.lab)
        .map(
          ([k, v]) =>
            `${k} ${typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v)}`,
        )
        .join(", ")}`,
      "",
    );
  const base = run.baseline ?? {};
  const hasBase = Object.keys(base).length > 0;
  lines.push(
    "| scenario | verdict | restore (edge-kill: takeover) | budget | detect | failed / requests | allowed | p50 | p99 | p99 budget | resent |" +
      (hasBase ? " Docker defaults: detect / restore |" : ""),
    "|---|---|---|---|---|---|---|---|---|---|---|" + (hasBase ? "---|" : ""),
  );
  for (const s of run.scenarios) {
    const b = rowBudget(s, run.connections);
    const [restore, restoreBudget] = restoreCell(s, b.restoreSeconds);
    const notRun = s.detail?.notRun === true;
    const bl = base[s.name];
    lines.push(
      `| ${s.name} | ${s.passed ? "✅ passed" : notRun ? "❌ did not run" : "❌ failed"} | ${notRun ? "—" : restore} | ${restoreBudget} | ${notRun ? "—" : fmtS(s.detectSeconds)} | ` +
        `${notRun ? "—" : `${s.load.failed} / ${s.load.requests} ${mark(s.load.failed <= b.maxFailed)}`} | ≤ ${b.maxFailed} | ` +
        `${notRun ? "—" : `${Math.round(s.load.p50Ms)} ms`} | ${notRun ? "—" : `${Math.round(s.load.p99Ms)} ms ${mark(s.load.p99Ms <= b.maxP99Ms)}`} | ≤ ${b.maxP99Ms} ms | ${notRun ? "—" : s.load.resent} |` +
        (hasBase
          ? ` ${bl ? `${fmtS(bl.detectSeconds)} / ${fmtS(bl.restoreSeconds)}${bl.failed > 0 ? ` (${bl.failed} failed)` : ""}` : "—"} |`
          : ""),
    );
  }
  lines.push("");
  if (failed.length > 0) {
    lines.push("## Why a scenario failed", "");
    for (const s of failed) for (const f of s.failures) lines.push(`- **${s.name}**: ${cell(f)}`);
    lines.push("");
  }
  const notes = run.scenarios.filter((s) => typeof s.detail?.why === "string");
  if (notes.length > 0) {
    lines.push("## Targets", "");
    for (const s of notes) lines.push(`- **${s.name}**: ${cell(String(s.detail!.why))}`);
    lines.push("");
  }
  lines.push("## Timelines", "");
  for (const s of run.scenarios)
    if (s.detail?.notRun !== true) lines.push(`![${s.name}](${scenarioSvgFile(s.name)})`);
  lines.push("");
  return lines.join("\n");
}

/** File name of a scenario's timeline. */
export function scenarioSvgFile(name: ScenarioName): string {
  return `matrix-${name}.svg`;
}

const MARK_COLORS: Readonly<Record<string, string>> = {
  stop: "#c9302c",
  "marked down": "#e08000",
  "new leader": "#8a4fbf",
  restored: "#2e8b57",
  deadline: "#c9302c",
  start: "#2e6bd9",
  rejoined: "#2e6bd9",
};

/** matrix-<name>.svg: load ok/failed per second and the scenario's marks, on the shared chart. */
export function renderScenarioSvg(s: ScenarioResult, connections: number): string {
  const marks: ChartMark[] = (s.marks ?? []).map((m) => ({
    t: m.t,
    label: m.label,
    color: MARK_COLORS[m.label] ?? "#555555",
  }));
  const b = rowBudget(s, connections);
  const restore =
    s.restoreSeconds === null
      ? ""
      : `, ${s.name === "edge-kill" ? "takeover" : "restored"} in ${s.restoreSeconds.toFixed(2)} s`;
  return renderLoadChartSvg({
    title: `${s.name}: ${s.passed ? "passed" : "failed"}`,
    heading: `${s.name} — ${s.passed ? "passed" : "failed"}${restore}; ${s.load.failed} of ${s.load.requests} failed (≤ ${b.maxFailed}), p99 ${Math.round(s.load.p99Ms)} ms`,
    xLabel: `seconds after the fault (${connections} connections)`,
    buckets: s.perSecond ? chartBuckets(s.perSecond, s.loadOffsetSeconds ?? 0) : [],
    marks,
    legend: [
      ["#7cc47c", "ok requests/s"],
      ["#d9534f", "failed requests/s"],
    ],
  });
}

/** Writes matrix.json, matrix.md, one SVG per scenario that ran and, for several passes, matrix-passes.json. */
export function writeMatrixReport(dir: string, runs: readonly MatrixRun[]): string[] {
  if (runs.length === 0) throw new Error("writeMatrixReport: no pass to write");
  const last = runs[runs.length - 1];
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    files.push(f);
  };
  write("matrix.json", renderMatrixJson(last));
  write("matrix.md", renderMatrixMd(last));
  for (const s of last.scenarios)
    if (s.detail?.notRun !== true)
      write(scenarioSvgFile(s.name), renderScenarioSvg(s, last.connections));
  if (runs.length > 1) write("matrix-passes.json", renderMatrixPassesJson(runs));
  return files;
}
