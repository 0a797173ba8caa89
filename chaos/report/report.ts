/**
 * The drill's outputs: report.json (the DrillReport contract other tools read), report.md (a human
 * summary) and timeline.svg (requests per second and running replicas over time). Pure render
 * functions of a drill result, plus one small function that writes the three files.
 */

import * as fs from "fs";
import * as path from "path";
import type { DrillResult } from "../drill/core";
import type { DrillEvent, DrillSample } from "../drill/timeline";
import { DEFAULT_BUDGETS } from "../drill/verdict";
import type { DrillReport, LoadBucket, LoadSummary } from "../types";

/** What the renderers accept: the contract, and whatever a drill result adds to it. */
export type ReportInput = DrillReport &
  Partial<
    Pick<
      DrillResult,
      | "failures"
      | "targets"
      | "restoreNote"
      | "reason"
      | "refused"
      | "service"
      | "deadlineSeconds"
      | "targetWhy"
      | "restarted"
      | "rejoinSeconds"
      | "listedRunning"
      | "leader"
      | "otherNodesNotReady"
      | "observerErrors"
      | "events"
      | "timeline"
      | "loadDetail"
      | "startedAt"
      | "fault"
      | "drill"
      | "afterReturn"
    >
  >;

/** The verdict's default budgets, for a report that does not carry its own `targets`. */
const DEFAULT_TARGETS = { deadlineSeconds: 60, ...DEFAULT_BUDGETS };

/** report.json: the full result (timeline included), stable key order, trailing newline. */
export function renderReportJson(r: ReportInput): string {
  return JSON.stringify(r, null, 2) + "\n";
}

/**
 * The contract fields plus the reason and a few scalars, without timeline, events or buckets:
 * small enough for a stack output or a CI log line.
 */
export function compactReport(r: ReportInput): DrillReport & Record<string, unknown> {
  const { scenario, target, detectSeconds, restoreSeconds, replicas, load, baseline, passed } = r;
  return {
    scenario,
    target,
    detectSeconds,
    restoreSeconds,
    replicas,
    load,
    ...(baseline ? { baseline } : {}),
    passed,
    ...(r.fault !== undefined ? { fault: r.fault, drill: r.drill } : {}),
    ...(r.afterReturn !== undefined ? { afterReturn: r.afterReturn } : {}),
    ...(r.failures !== undefined ? { failures: r.failures } : {}),
    ...(r.targets !== undefined ? { targets: r.targets } : {}),
    ...(r.restoreNote !== undefined ? { restoreNote: r.restoreNote } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.refused !== undefined ? { refused: r.refused } : {}),
    ...(r.rejoinSeconds !== undefined ? { rejoinSeconds: r.rejoinSeconds } : {}),
    ...(r.listedRunning !== undefined ? { listedRunning: r.listedRunning } : {}),
    ...(r.leader ? { leader: r.leader } : {}),
    ...(r.loadDetail ? { perNode: r.loadDetail.perNode } : {}),
  };
}

const fmtS = (x: number | null | undefined) =>
  x === null || x === undefined ? "—" : `${x.toFixed(2)} s`;
const fmtMs = (x: number) => `${Math.round(x)} ms`;
const mark = (ok: boolean) => (ok ? "✅" : "❌");

/** report.md: verdict, metrics against the targets, events, answers per node. */
export function renderReportMd(r: ReportInput): string {
  const lines: string[] = [];
  lines.push(
    `# Chaos drill: ${r.scenario} ${r.target.node} — ${r.passed ? "PASSED" : "FAILED"}`,
    "",
  );
  if (r.reason) lines.push(`**${r.refused ? "Refused" : "Reason"}:** ${r.reason}`, "");
  if (r.failures && r.failures.length > 1)
    lines.push("Failures:", ...r.failures.map((f) => `- ${f}`), "");
  if (r.restoreNote) lines.push(`Note: ${r.restoreNote}`, "");
  const budget = { ...DEFAULT_TARGETS, ...(r.targets ?? {}) };
  lines.push(
    `Target: \`${r.target.node}\` (${r.target.role}${r.targetWhy ? `, ${r.targetWhy}` : ""})` +
      (r.service ? ` · service \`${r.service}\`` : "") +
      (r.deadlineSeconds !== undefined ? ` · deadline ${r.deadlineSeconds} s` : "") +
      (r.startedAt ? ` · ${r.startedAt}` : ""),
    "",
  );
  const hasBase = r.baseline !== undefined;
  const ratio = (a: number | null, b: number | null | undefined) =>
    a !== null && b !== null && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}` : "—";
  lines.push(
    hasBase
      ? "| metric | measured | target | met | default timings | tuned/default |"
      : "| metric | measured | target | met |",
    hasBase ? "|---|---|---|---|---|---|" : "|---|---|---|---|",
  );
  const row = (
    name: string,
    value: string,
    target: string,
    met: boolean | null,
    base?: string,
    rat?: string,
  ) =>
    lines.push(
      `| ${name} | ${value} | ${target} | ${met === null ? "—" : mark(met)} |` +
        (hasBase ? ` ${base ?? "—"} | ${rat ?? "—"} |` : ""),
    );
  row(
    "node marked down",
    fmtS(r.detectSeconds),
    "— (no budget)",
    null,
    fmtS(r.baseline?.detectSeconds),
    ratio(r.detectSeconds, r.baseline?.detectSeconds),
  );
  row(
    `${r.replicas.desired} replicas running on Ready nodes`,
    fmtS(r.restoreSeconds),
    r.restoreNote ? "— (no replica was lost)" : `≤ ${budget.deadlineSeconds} s`,
    r.restoreNote ? null : r.restoreSeconds !== null && r.restoreSeconds <= budget.deadlineSeconds,
    fmtS(r.baseline?.restoreSeconds),
    ratio(r.restoreSeconds, r.baseline?.restoreSeconds),
  );
  row(
    "running on Ready at the end",
    `${r.replicas.runningOnReady}/${r.replicas.desired}` +
      (r.listedRunning !== undefined ? ` (listed: ${r.listedRunning}/${r.replicas.desired})` : ""),
    `${r.replicas.desired}/${r.replicas.desired}`,
    r.replicas.runningOnReady >= r.replicas.desired,
  );
  if (r.load.connections > 0) {
    const resent = r.loadDetail?.resentOnStaleConnection ?? 0;
    row(
      "failed requests",
      `${r.load.failed} of ${r.load.requests}` +
        (resent > 0
          ? ` (${resent} GETs resent once on a new connection after the server closed a kept-alive one unanswered)`
          : ""),
      `≤ ${budget.maxFailed}`,
      r.load.failed <= budget.maxFailed,
    );
    row("p50 latency", fmtMs(r.load.p50Ms), "—", null);
    row(
      "p99 latency",
      fmtMs(r.load.p99Ms),
      `≤ ${budget.maxP99Ms} ms`,
      r.load.p99Ms <= budget.maxP99Ms,
    );
    row("load", `${r.load.connections} connections, ${r.load.durationSeconds} s`, "—", null);
  }
  if (r.leader) {
    row(
      "new leader elected",
      r.leader.after ? `${r.leader.after} after ${fmtS(r.leader.electedSeconds)}` : "—",
      "a manager other than the stopped one",
      r.leader.after !== undefined,
    );
  }
  if (r.rejoinSeconds !== undefined) {
    row(
      "target Ready again after start",
      fmtS(r.rejoinSeconds),
      "rejoins",
      r.rejoinSeconds !== null,
    );
  }
  lines.push("");
  if (r.otherNodesNotReady && r.otherNodesNotReady.length > 0) {
    lines.push(
      `Other nodes seen not Ready during the drill: ${r.otherNodesNotReady.join(", ")}`,
      "",
    );
  }
  if (r.loadDetail && Object.keys(r.loadDetail.perNode).length > 0) {
    lines.push("## Answers per node", "", "| node | answers |", "|---|---|");
    for (const [node, n] of Object.entries(r.loadDetail.perNode).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      lines.push(`| ${node} | ${n} |`);
    }
    lines.push("");
  }
  if (r.loadDetail && Object.keys(r.loadDetail.failures).length > 0) {
    lines.push(
      "Failures by cause: " +
        Object.entries(r.loadDetail.failures)
          .map(([c, n]) => `${c} × ${n}`)
          .join(", "),
      "",
    );
  }
  if (r.events && r.events.length > 0) {
    lines.push(
      "## Events (t = seconds after the stop request)",
      "",
      "| t | event | detail |",
      "|---|---|---|",
    );
    for (const e of r.events)
      lines.push(`| ${e.t.toFixed(2)} | ${e.kind} | ${(e.detail ?? "").replace(/\|/g, "\\|")} |`);
    lines.push("");
  }
  if (r.observerErrors && r.observerErrors.length > 0) {
    lines.push(
      `Observer errors: ${r.observerErrors.length} (first at ${r.observerErrors[0].t.toFixed(2)} s: ${r.observerErrors[0].message})`,
      "",
    );
  }
  lines.push("![timeline](timeline.svg)", "");
  return lines.join("\n");
}

export function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** A round step for an axis covering [0, max] in about `ticks` steps. */
function niceStep(max: number, ticks: number): number {
  if (max <= 0) return 1;
  const raw = max / ticks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

/** One second of load on a chart: requests that finished in [t, t + 1) on the chart's time axis. */
export interface ChartBucket {
  readonly t: number;
  readonly ok: number;
  readonly failed: number;
}

/** A vertical dashed line with its label at time t. */
export interface ChartMark {
  readonly t: number;
  readonly label: string;
  readonly color: string;
}

/** The plot area's geometry, for a chart's overlay (lines drawn over the request bars). */
export interface ChartGeometry {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** Time (s) to x. */
  readonly x: (t: number) => number;
}

/**
 * What the load timeline charts share (one drill's timeline.svg, each failure-matrix scenario's
 * SVG): stacked bars of ok/failed requests per second on the left axis, labelled dashed marks,
 * an optional right axis with the overlay drawn over the bars, and a legend.
 */
export interface LoadChart {
  /** The SVG's <title>. */
  readonly title: string;
  /** The heading printed above the plot. */
  readonly heading: string;
  readonly xLabel: string;
  readonly buckets: readonly ChartBucket[];
  readonly marks: readonly ChartMark[];
  /** Further times the axis must cover (samples, events). */
  readonly times?: readonly number[];
  /** A right-hand axis 0..max (whole steps) and what it counts. */
  readonly right?: { readonly label: string; readonly max: number; readonly color: string };
  /** SVG elements drawn over the bars, given the geometry and the right axis' y. */
  readonly overlay?: (g: ChartGeometry, yRight: (v: number) => number) => string[];
  readonly legend: readonly (readonly [color: string, label: string])[];
}

const CHART = { W: 960, H: 400, m: { left: 70, right: 70, top: 50, bottom: 60 } } as const;

/** Renders a LoadChart: hand-written SVG, no dependencies, well-formed XML (xmllint in the tests). */
export function renderLoadChartSvg(c: LoadChart): string {
  const { W, H, m } = CHART;
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const ts = [
    0,
    ...(c.times ?? []),
    ...c.marks.map((k) => k.t),
    ...c.buckets.map((b) => b.t),
    ...c.buckets.map((b) => b.t + 1),
  ];
  const tMin = Math.floor(Math.min(...ts));
  const tMax = Math.max(tMin + 1, Math.ceil(Math.max(...ts)));
  const x = (t: number) => m.left + ((t - tMin) / (tMax - tMin)) * pw;
  const maxReq = Math.max(1, ...c.buckets.map((b) => b.ok + b.failed));
  const reqStep = niceStep(maxReq, 5);
  const reqTop = Math.ceil(maxReq / reqStep) * reqStep;
  const yReq = (v: number) => m.top + ph - (v / reqTop) * ph;
  const rightMax = Math.max(1, c.right?.max ?? 1);
  const yRight = (v: number) => m.top + ph - (v / rightMax) * ph;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(c.title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.heading)}</text>`,
  );
  // Grid and left axis (requests per second).
  for (let v = 0; v <= reqTop + 1e-9; v += reqStep) {
    const y = yReq(v).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#eeeeee"/>`);
    out.push(
      `<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${Math.round(v)}</text>`,
    );
  }
  if (c.right) {
    for (let v = 0; v <= rightMax; v++) {
      out.push(
        `<text x="${m.left + pw + 6}" y="${yRight(v).toFixed(1)}" dominant-baseline="middle" fill="${c.right.color}">${v}</text>`,
      );
    }
  }
  // Bottom axis (seconds).
  const tStep = niceStep(tMax - tMin, 12);
  for (let t = Math.ceil(tMin / tStep) * tStep; t <= tMax + 1e-9; t += tStep) {
    const xx = x(t).toFixed(1);
    out.push(
      `<line x1="${xx}" y1="${m.top + ph}" x2="${xx}" y2="${m.top + ph + 5}" stroke="#333"/>`,
    );
    out.push(
      `<text x="${xx}" y="${m.top + ph + 18}" text-anchor="middle">${Number(t.toFixed(2))}</text>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 22}" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">requests per second (ok / failed)</text>`,
  );
  if (c.right) {
    out.push(
      `<text transform="translate(${W - 18} ${m.top + ph / 2}) rotate(90)" text-anchor="middle" fill="${c.right.color}">${esc(c.right.label)}</text>`,
    );
  }
  // Request bars.
  const bw = Math.max(1, pw / (tMax - tMin) - 1);
  for (const b of c.buckets) {
    const x0 = x(b.t).toFixed(1);
    if (b.ok > 0) {
      out.push(
        `<rect x="${x0}" y="${yReq(b.ok).toFixed(1)}" width="${bw.toFixed(1)}" height="${(yReq(0) - yReq(b.ok)).toFixed(1)}" fill="#7cc47c"><title>${b.ok} ok at ${b.t.toFixed(1)} s</title></rect>`,
      );
    }
    if (b.failed > 0) {
      out.push(
        `<rect x="${x0}" y="${yReq(b.ok + b.failed).toFixed(1)}" width="${bw.toFixed(1)}" height="${(yReq(b.ok) - yReq(b.ok + b.failed)).toFixed(1)}" fill="#d9534f"><title>${b.failed} failed at ${b.t.toFixed(1)} s</title></rect>`,
      );
    }
  }
  if (c.overlay)
    out.push(...c.overlay({ left: m.left, top: m.top, width: pw, height: ph, x }, yRight));
  let row = 0;
  for (const mk of c.marks) {
    const xx = x(mk.t).toFixed(1);
    out.push(
      `<line x1="${xx}" y1="${m.top}" x2="${xx}" y2="${m.top + ph}" stroke="${mk.color}" stroke-width="1.5" stroke-dasharray="6 3"/>`,
    );
    out.push(
      `<text x="${(Number(xx) + 3).toFixed(1)}" y="${m.top + 14 + 14 * (row++ % 3)}" fill="${mk.color}">${esc(`${mk.label} ${mk.t.toFixed(1)} s`)}</text>`,
    );
  }
  const ly = H - 8;
  let lx = m.left;
  for (const [color, label] of c.legend) {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly}">${esc(label)}</text>`);
    lx += 24 + label.length * 6.5;
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** The drill's event marks, in the order they are labelled. */
const DRILL_MARKS: ReadonlyArray<{ kind: string; label: string; color: string }> = [
  { kind: "stop", label: "stop", color: "#c9302c" },
  { kind: "detected", label: "marked down", color: "#e08000" },
  { kind: "leader-elected", label: "new leader", color: "#8a4fbf" },
  { kind: "restored", label: "restored", color: "#2e8b57" },
  { kind: "deadline", label: "deadline", color: "#c9302c" },
  { kind: "start", label: "start", color: "#2e6bd9" },
  { kind: "rejoined", label: "rejoined", color: "#2e6bd9" },
];

/** The drill's marks at the first event of each kind; the restore where it happened, not where it was confirmed. */
export function drillMarks(
  events: readonly DrillEvent[],
  restoreSeconds: number | null,
): ChartMark[] {
  const out: ChartMark[] = [];
  for (const mk of DRILL_MARKS) {
    const found = events.find((ev) => ev.kind === mk.kind);
    if (!found) continue;
    const t = mk.kind === "restored" && restoreSeconds !== null ? restoreSeconds : found.t;
    out.push({ t, label: mk.label, color: mk.color });
  }
  return out;
}

/** Load buckets on the fault's time axis (perSecond[i] covers t = offsetSeconds + i). */
export function chartBuckets(
  perSecond: readonly LoadBucket[],
  offsetSeconds: number,
): ChartBucket[] {
  return perSecond.map((b) => ({ t: offsetSeconds + b.second, ok: b.ok, failed: b.failed }));
}

/**
 * timeline.svg: stacked bars of ok/failed requests per second (left axis), a step line of tasks
 * running on Ready nodes and the desired count (right axis), vertical marks at the stop, the
 * detection, the restore and the start.
 */
export function renderTimelineSvg(r: ReportInput): string {
  const samples: readonly DrillSample[] = r.timeline ?? [];
  const events: readonly DrillEvent[] = r.events ?? [];
  const load: (LoadSummary & { offsetSeconds: number }) | undefined = r.loadDetail;
  const maxRep =
    Math.max(
      1,
      r.replicas.desired,
      ...samples.map((s) => Math.max(s.runningOnReady, s.listedRunning)),
    ) + 1;
  const overlay = (g: ChartGeometry, yRep: (v: number) => number): string[] => {
    const out: string[] = [];
    // Desired replicas and the running step lines.
    const yd = yRep(r.replicas.desired).toFixed(1);
    out.push(
      `<line x1="${g.left}" y1="${yd}" x2="${g.left + g.width}" y2="${yd}" stroke="#1f5fbf" stroke-dasharray="2 4"/>`,
    );
    const step = (vals: (s: DrillSample) => number) => {
      const good = samples.filter((s) => !s.error);
      if (good.length === 0) return "";
      let d = `M${g.x(good[0].t).toFixed(1)},${yRep(vals(good[0])).toFixed(1)}`;
      for (let i = 1; i < good.length; i++)
        d += ` H${g.x(good[i].t).toFixed(1)} V${yRep(vals(good[i])).toFixed(1)}`;
      return d;
    };
    const listed = step((s) => s.listedRunning);
    if (listed)
      out.push(
        `<path d="${listed}" fill="none" stroke="#9bb7e0" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      );
    const running = step((s) => s.runningOnReady);
    if (running) out.push(`<path d="${running}" fill="none" stroke="#1f5fbf" stroke-width="2.5"/>`);
    // Observer errors as small ticks on the top edge.
    for (const s of samples.filter((s) => s.error)) {
      out.push(
        `<line x1="${g.x(s.t).toFixed(1)}" y1="${g.top}" x2="${g.x(s.t).toFixed(1)}" y2="${g.top + 6}" stroke="#e0a000"/>`,
      );
    }
    return out;
  };
  return renderLoadChartSvg({
    title: `${r.scenario} ${r.target.node}: ${r.passed ? "passed" : "failed"}`,
    heading:
      `Chaos drill ${r.scenario} ${r.target.node} — ${r.passed ? "passed" : "failed"}` +
      (r.restoreSeconds !== null ? `, restored in ${r.restoreSeconds.toFixed(2)} s` : ""),
    xLabel: "seconds after the stop request",
    buckets: load ? chartBuckets(load.perSecond, load.offsetSeconds) : [],
    marks: drillMarks(events, r.restoreSeconds),
    times: [...samples.map((s) => s.t), ...events.map((e) => e.t)],
    right: { label: "tasks running on Ready nodes", max: maxRep, color: "#1f5fbf" },
    overlay,
    legend: [
      ["#7cc47c", "ok requests/s"],
      ["#d9534f", "failed requests/s"],
      ["#1f5fbf", "running on Ready nodes"],
      ["#9bb7e0", "listed running (docker service ls)"],
    ],
  });
}

/** Writes report.json, report.md and timeline.svg into `dir` (created if needed); returns their paths. */
export function writeReport(
  dir: string,
  r: ReportInput,
): { json: string; md: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    json: path.join(dir, "report.json"),
    md: path.join(dir, "report.md"),
    svg: path.join(dir, "timeline.svg"),
  };
  fs.writeFileSync(files.json, renderReportJson(r));
  fs.writeFileSync(files.md, renderReportMd(r));
  fs.writeFileSync(files.svg, renderTimelineSvg(r));
  return files;
}
