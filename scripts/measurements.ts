/**
 * Measurements that write themselves. A lab run writes its figures to lab-report/ (matrix.json and
 * matrix-passes.json from `npm run lab -- matrix`, report.json from the drill); `record` copies that
 * run into docs/measurements/<date>-<machine>-<kind>.json and renders the .md beside it; `--write`
 * re-renders every .md, the history (docs/measurements/README.md) and the block between
 * `<!-- measurements:start -->` and `<!-- measurements:end -->` in README.md and docs/*.md from
 * the newest record. Nobody types a measured figure: test/docs/measurements.test.ts holds every
 * figure in those blocks to a figure of a generated file, and every generated file to its source.
 *
 *   npm run measurements -- record [--report-dir lab-report]   copy the last run, then --write
 *   npm run measurements -- --write | --check                   re-render | exit 1 when stale
 *
 * Exit codes: 0 done (or up to date), 1 --check found stale files, 2 bad arguments, 4 no report
 * to record.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
export const MEASUREMENTS_DIR = path.join(ROOT, "docs", "measurements");
export const BLOCK_START = "<!-- measurements:start -->";
export const BLOCK_END = "<!-- measurements:end -->";
/** Files that carry the block (when they contain its markers). */
export function blockFiles(root = ROOT): string[] {
  const docs = path.join(root, "docs");
  const inDocs = fs.existsSync(docs)
    ? fs
        .readdirSync(docs)
        .filter((f) => f.endsWith(".md"))
        .map((f) => path.join(docs, f))
    : [];
  return [path.join(root, "README.md"), ...inDocs].filter((f) => fs.existsSync(f));
}

/** The machine as lab/machine.ts records it. */
export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly dockerEngine: string;
  readonly cgroupVersion: string;
  readonly kernel?: string;
}

/** One measured row: a scenario in one pass (matrix) or the drill (and its Docker-defaults baseline). */
export interface Row {
  readonly scenario: string;
  readonly pass: number;
  readonly passed: boolean;
  readonly restoreSeconds: number | null;
  readonly detectSeconds: number | null;
  readonly requests: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Budgets the row was judged by (matrix rows), as matrix.json states them. */
  readonly budget?: {
    readonly restoreSeconds: number | null;
    readonly maxFailed: number;
    readonly maxP99Ms: number;
  };
}

/** A recorded run, normalized from the lab's report: what the .md and the README block show. */
export interface Measurement {
  readonly kind: "matrix" | "drill";
  /** The machine was read when the run was recorded, not by the run. */
  readonly machineReadAtRecord: boolean;
  /** When the run started (ISO), from the report. */
  readonly startedAt: string;
  readonly machine: Machine | null;
  /** The lab's shape and timings as the report states them (machine left out). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly connections: number;
  readonly passes: number;
  readonly passed: boolean;
  readonly rows: readonly Row[];
  /** Docker's default timings (heartbeat 5 s, restart delay 5 s) beside the tuned rows, when run. */
  readonly baseline: readonly Row[];
}

/** A record file: where the run came from and the lab's report as it wrote it. */
export interface RecordFile {
  readonly recordedAt: string;
  readonly source: readonly string[];
  readonly kind: "matrix" | "drill";
  /** matrix: every pass's matrix.json object; drill: report.json. */
  readonly report: unknown;
  /** "record": the report named no machine, so `record` read the machine it ran on then. */
  readonly machineReadAt?: "record";
}

export class MeasurementError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const int = (v: unknown): number => num(v) ?? 0;
/** A string field of a report, or `fallback` when it is absent or not text. */
const str = (v: unknown, fallback: string): string =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : fallback;

function machineOf(lab: unknown): Machine | null {
  const m = isObj(lab) ? lab.machine : undefined;
  if (!isObj(m) || typeof m.cores !== "number" || typeof m.cpuModel !== "string") return null;
  return {
    cores: m.cores,
    cpuModel: m.cpuModel,
    dockerEngine: str(m.dockerEngine, "unknown"),
    cgroupVersion: str(m.cgroupVersion, "unknown"),
    ...(typeof m.kernel === "string" ? { kernel: m.kernel } : {}),
  };
}

function settingsOf(lab: unknown): Obj {
  if (!isObj(lab)) return {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(lab))
    if (k !== "machine" && (typeof v !== "object" || v === null)) out[k] = v;
  return out;
}

function matrixRow(s: Obj, pass: number): Row {
  const load = isObj(s.load) ? s.load : {};
  const b = isObj(s.budget) ? s.budget : undefined;
  return {
    scenario: str(s.name, "?"),
    pass,
    passed: s.passed === true,
    restoreSeconds: num(s.restoreSeconds),
    detectSeconds: num(s.detectSeconds),
    requests: int(load.requests),
    failed: int(load.failed),
    p50Ms: int(load.p50Ms),
    p99Ms: int(load.p99Ms),
    ...(b
      ? {
          budget: {
            restoreSeconds: num(b.restoreSeconds),
            maxFailed: int(b.maxFailed),
            maxP99Ms: int(b.maxP99Ms),
          },
        }
      : {}),
  };
}

/** The normalized run of a record file. Pure. */
export function measurementOf(rec: RecordFile): Measurement {
  if (rec.kind === "matrix") {
    const passes = Array.isArray(rec.report) ? rec.report.filter(isObj) : [];
    if (passes.length === 0) throw new MeasurementError("the record holds no matrix pass", 4);
    const first = passes[0];
    const rows = passes.flatMap((p, i) =>
      Array.isArray(p.scenarios)
        ? p.scenarios.filter(isObj).map((s) => matrixRow(s, int(p.pass) || i + 1))
        : [],
    );
    const baseline = passes.flatMap((p, i) =>
      isObj(p.baseline)
        ? Object.entries(p.baseline)
            .filter((e): e is [string, Obj] => isObj(e[1]))
            .map(([name, b]) =>
              matrixRow(
                {
                  name,
                  passed: b.passed,
                  restoreSeconds: b.restoreSeconds,
                  detectSeconds: b.detectSeconds,
                  load: { requests: b.requests, failed: b.failed },
                },
                int(p.pass) || i + 1,
              ),
            )
        : [],
    );
    return {
      kind: "matrix",
      machineReadAtRecord: rec.machineReadAt === "record",
      startedAt: str(first.startedAt, rec.recordedAt),
      machine: machineOf(first.lab),
      settings: settingsOf(first.lab),
      connections: int(first.connections),
      passes: passes.length,
      passed: passes.every((p) => p.passed === true),
      rows,
      baseline: baseline.map((b) => ({ ...b, p50Ms: 0, p99Ms: 0 })),
    };
  }
  const r = isObj(rec.report) ? rec.report : {};
  const load = isObj(r.load) ? r.load : {};
  const target = isObj(r.target) ? r.target : {};
  const name = str(r.drill, str(r.scenario, "drill"));
  const row: Row = {
    scenario: `${name} (${str(target.node, "?")})`,
    pass: 1,
    passed: r.passed === true,
    restoreSeconds: num(r.restoreSeconds),
    detectSeconds: num(r.detectSeconds),
    requests: int(load.requests),
    failed: int(load.failed),
    p50Ms: int(load.p50Ms),
    p99Ms: int(load.p99Ms),
  };
  const b = isObj(r.baseline) ? r.baseline : undefined;
  const tuning = isObj(r.tuning) ? r.tuning : {};
  return {
    kind: "drill",
    machineReadAtRecord: rec.machineReadAt === "record",
    startedAt: str(r.startedAt, rec.recordedAt),
    machine: machineOf(r.lab),
    settings: { ...settingsOf(r.lab), ...settingsOf(tuning) },
    connections: int(load.connections),
    passes: 1,
    passed: r.passed === true,
    rows: [row],
    baseline: b
      ? [
          {
            ...row,
            passed: true,
            restoreSeconds: num(b.restoreSeconds),
            detectSeconds: num(b.detectSeconds),
            requests: 0,
            failed: 0,
            p50Ms: 0,
            p99Ms: 0,
          },
        ]
      : [],
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering (pure). One number format everywhere, so a figure in a block is a figure in a file.

const secs = (x: number | null) => (x === null ? "—" : String(x));
const ms = (x: number) => String(Math.round(x));
const day = (iso: string) => iso.slice(0, 10);

export function machineLine(m: Machine | null, readAtRecord = false): string {
  if (!m) return "machine not recorded (a report from before lab/machine.ts)";
  return (
    `${m.cores} cores, ${m.cpuModel}, host Docker engine ${m.dockerEngine}, cgroup v${m.cgroupVersion}${m.kernel ? `, kernel ${m.kernel}` : ""}` +
    (readAtRecord ? " (read when recorded: the report named none)" : "")
  );
}

function settingsLine(s: Readonly<Record<string, unknown>>): string {
  const e = Object.entries(s);
  return e.length
    ? e.map(([k, v]) => `${k} ${String(v as string | number | boolean)}`).join(", ")
    : "not recorded";
}

const by = <T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};

/** The summary table: one line per scenario, every pass's figure in pass order. */
export function summaryTable(m: Measurement): string[] {
  const lines = [
    "| scenario | passed | restore or takeover (s) | detect (s) | failed / requests | p99 (ms) | budget: restore (s) / failed / p99 (ms) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const [name, rows] of by(m.rows, (r) => r.scenario)) {
    const b = rows[0].budget;
    lines.push(
      `| ${name} | ${rows.filter((r) => r.passed).length} of ${rows.length} | ${rows.map((r) => secs(r.restoreSeconds)).join(", ")} | ` +
        `${rows.map((r) => secs(r.detectSeconds)).join(", ")} | ${rows.map((r) => `${r.failed} / ${r.requests}`).join(", ")} | ` +
        `${rows.map((r) => ms(r.p99Ms)).join(", ")} | ${b ? `${secs(b.restoreSeconds)} / ${b.maxFailed} / ${b.maxP99Ms}` : "—"} |`,
    );
  }
  if (m.baseline.length) {
    for (const [name, rows] of by(m.baseline, (r) => r.scenario)) {
      lines.push(
        `| ${name}, Docker's default timings | — | ${rows.map((r) => secs(r.restoreSeconds)).join(", ")} | ${rows.map((r) => secs(r.detectSeconds)).join(", ")} | — | — | — |`,
      );
    }
  }
  return lines;
}

function headline(m: Measurement): string {
  const passed = m.rows.filter((r) => r.passed).length;
  const what = m.kind === "matrix" ? `failure matrix, ${m.passes} pass(es)` : "drill";
  return `${what} at ${m.connections} connections: ${passed} of ${m.rows.length} rows passed`;
}

/** docs/measurements/<stem>.md: everything the record holds, every row. */
export function renderRecordMd(m: Measurement, stem: string): string {
  const lines = [
    `# ${day(m.startedAt)}: ${headline(m)}`,
    "",
    `Generated by \`npm run measurements\` from [${stem}.json](${stem}.json); do not edit.`,
    "",
    `- Started: ${m.startedAt}`,
    `- Machine: ${machineLine(m.machine, m.machineReadAtRecord)}`,
    `- Settings: ${settingsLine(m.settings)}`,
    `- Verdict: ${m.passed ? "passed" : "failed"}`,
    "",
    "## Summary",
    "",
    ...summaryTable(m),
    "",
    "## Every row",
    "",
    "| pass | scenario | passed | restore (s) | detect (s) | requests | failed | p50 (ms) | p99 (ms) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...m.rows.map(
      (r) =>
        `| ${r.pass} | ${r.scenario} | ${r.passed ? "yes" : "no"} | ${secs(r.restoreSeconds)} | ${secs(r.detectSeconds)} | ${r.requests} | ${r.failed} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} |`,
    ),
    "",
  ];
  return lines.join("\n");
}

/** The block README.md and docs/*.md show: the newest record's summary, or that there is none. */
export function renderBlock(
  latest: { m: Measurement; stem: string } | undefined,
  linkPrefix: string,
): string {
  const history = `${linkPrefix}docs/measurements/README.md`;
  if (!latest) {
    return [
      "No measurement recorded yet. Run `npm run lab -- matrix` (or the drill, `npm run lab`) on a machine with a",
      "Docker engine, then `npm run measurements -- record`: the run lands in `docs/measurements/` and this",
      `block is rewritten from it ([history](${history})).`,
    ].join("\n");
  }
  const { m, stem } = latest;
  return [
    `Latest: [${day(m.startedAt)}, ${headline(m)}](${linkPrefix}docs/measurements/${stem}.md) on ${machineLine(m.machine, m.machineReadAtRecord)}.`,
    `Every recorded run: [history](${history}).`,
    "",
    ...summaryTable(m),
  ].join("\n");
}

/** docs/measurements/README.md: every record, newest first. */
export function renderHistory(records: readonly { m: Measurement; stem: string }[]): string {
  const lines = [
    "# Measurements",
    "",
    "Generated by `npm run measurements` from the records in this folder; do not edit. A record is a lab run",
    "copied here by `npm run measurements -- record` (after `npm run lab -- matrix` or `npm run lab`): the",
    "lab's own report (`<record>.json`) and its rendering (`<record>.md`).",
    "",
  ];
  if (records.length === 0) lines.push("No measurement recorded yet.", "");
  else {
    lines.push("| run | what | machine | verdict |", "|---|---|---|---|");
    for (const { m, stem } of [...records].reverse()) {
      lines.push(
        `| [${stem}](${stem}.md) | ${headline(m)} | ${machineLine(m.machine, m.machineReadAtRecord)} | ${m.passed ? "passed" : "failed"} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Files

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/\((r|tm)\)|cpu|processor|@.*$/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32)
    .replace(/-+$/, "");

/** The record's file stem: date, machine, kind; `-2`, `-3` when taken. */
export function recordStem(m: Measurement, taken: ReadonlySet<string>): string {
  const machine = m.machine
    ? `${m.machine.cores}c-${slug(m.machine.cpuModel) || "cpu"}`
    : "unknown-machine";
  const base = `${day(m.startedAt)}-${machine}-${m.kind}`;
  let stem = base;
  for (let i = 2; taken.has(stem); i++) stem = `${base}-${i}`;
  return stem;
}

const readJson = (f: string): unknown => JSON.parse(fs.readFileSync(f, "utf8"));

/**
 * The run in `reportDir` as a record: the matrix (matrix-passes.json when it belongs to the same
 * run as matrix.json, else matrix.json alone) or, without a matrix, the drill's report.json.
 * `machine` fills in a report written before the lab recorded it.
 */
export function readRun(reportDir: string, recordedAt: string, machine?: Machine): RecordFile {
  const matrix = path.join(reportDir, "matrix.json");
  const passes = path.join(reportDir, "matrix-passes.json");
  const drill = path.join(reportDir, "report.json");
  const lacks = (o: Obj) => machine !== undefined && !(isObj(o.lab) && isObj(o.lab.machine));
  const withMachine = (o: Obj): Obj =>
    lacks(o) ? { ...o, lab: { ...(isObj(o.lab) ? o.lab : {}), machine } } : o;
  if (fs.existsSync(matrix)) {
    const last = readJson(matrix);
    if (!isObj(last) || !Array.isArray(last.scenarios))
      throw new MeasurementError(`${matrix} is not a matrix report (no scenarios)`, 4);
    const all = fs.existsSync(passes) ? readJson(passes) : undefined;
    const runs = isObj(all) && Array.isArray(all.passes) ? all.passes.filter(isObj) : [];
    // A matrix-passes.json left by an earlier run with --passes > 1 is not this run's.
    const same = runs.length > 0 && runs[runs.length - 1].startedAt === last.startedAt;
    const report = same ? runs : [last];
    return {
      recordedAt,
      source: same ? [passes] : [matrix],
      kind: "matrix",
      report: report.map(withMachine),
      ...(report.some(lacks) ? { machineReadAt: "record" as const } : {}),
    };
  }
  if (fs.existsSync(drill)) {
    const r = readJson(drill);
    if (!isObj(r) || !isObj(r.load))
      throw new MeasurementError(`${drill} is not a drill report (no load)`, 4);
    return {
      recordedAt,
      source: [drill],
      kind: "drill",
      report: withMachine(r),
      ...(lacks(r) ? { machineReadAt: "record" as const } : {}),
    };
  }
  throw new MeasurementError(
    `no matrix.json or report.json in ${reportDir}: run npm run lab -- matrix (or npm run lab) first, or pass --report-dir`,
    4,
  );
}

/** Every record in `dir`, oldest first (by start time, then name). */
export function loadRecords(
  dir = MEASUREMENTS_DIR,
): { m: Measurement; stem: string; rec: RecordFile }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => {
      const rec = readJson(path.join(dir, f)) as RecordFile;
      return { rec, m: measurementOf(rec), stem: f.slice(0, -".json".length) };
    })
    .sort((a, b) => a.m.startedAt.localeCompare(b.m.startedAt) || a.stem.localeCompare(b.stem));
}

/** Replaces the block between the markers; undefined when the text has none. */
export function replaceBlock(text: string, block: string): string | undefined {
  const start = text.indexOf(BLOCK_START);
  const end = text.indexOf(BLOCK_END);
  if (start < 0 || end < start) return undefined;
  return `${text.slice(0, start + BLOCK_START.length)}\n${block}\n${text.slice(end)}`;
}

/** What every generated file should contain: the records' .md, the history, the blocks. */
export function expectedFiles(root = ROOT): { file: string; expected: string }[] {
  const dir = path.join(root, "docs", "measurements");
  const records = loadRecords(dir);
  const out = records.map(({ m, stem }) => ({
    file: path.join(dir, `${stem}.md`),
    expected: renderRecordMd(m, stem),
  }));
  out.push({ file: path.join(dir, "README.md"), expected: renderHistory(records) });
  const latest = records[records.length - 1];
  for (const file of blockFiles(root)) {
    const text = fs.readFileSync(file, "utf8");
    const prefix = path.relative(path.dirname(file), root).split(path.sep).join("/");
    const next = replaceBlock(text, renderBlock(latest, prefix ? `${prefix}/` : ""));
    if (next !== undefined) out.push({ file, expected: next });
  }
  return out;
}

export function stale(root = ROOT): string[] {
  return expectedFiles(root)
    .filter(
      ({ file, expected }) => !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== expected,
    )
    .map(({ file }) => path.relative(root, file));
}

export function writeAll(root = ROOT): string[] {
  const written: string[] = [];
  for (const { file, expected } of expectedFiles(root)) {
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === expected) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, expected);
    written.push(path.relative(root, file));
  }
  return written;
}

/** Copies the run in `reportDir` into docs/measurements/ and re-renders; returns the record's stem. */
export function record(
  reportDir: string,
  o: { root?: string; now?: Date; machine?: Machine } = {},
): string {
  const root = o.root ?? ROOT;
  const dir = path.join(root, "docs", "measurements");
  const rec = readRun(reportDir, (o.now ?? new Date()).toISOString(), o.machine);
  const m = measurementOf(rec);
  const taken = new Set(
    fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => f.replace(/\.(json|md)$/, "")) : [],
  );
  const stem = recordStem(m, taken);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, `${stem}.json`),
    JSON.stringify({ ...rec, source: rec.source.map((s) => path.relative(root, s)) }, null, 2) +
      "\n",
  );
  writeAll(root);
  return stem;
}

// ---------------------------------------------------------------------------------------------
// The figures a block may quote

/** The numbers in a text, link targets left out (a file name's date is not a figure). */
export function figures(text: string): string[] {
  return [...text.replace(/\]\([^)]*\)/g, "]").matchAll(/\d+(?:\.\d+)?/g)].map((x) => x[0]);
}

/** Every block's text in README.md and docs/*.md, with its file. */
export function blocks(root = ROOT): { file: string; text: string }[] {
  return blockFiles(root).flatMap((file) => {
    const text = fs.readFileSync(file, "utf8");
    const start = text.indexOf(BLOCK_START);
    const end = text.indexOf(BLOCK_END);
    return start >= 0 && end > start
      ? [{ file: path.relative(root, file), text: text.slice(start + BLOCK_START.length, end) }]
      : [];
  });
}

/** Figures a block quotes that no generated file under docs/measurements/ holds. */
export function unbackedFigures(root = ROOT): string[] {
  const dir = path.join(root, "docs", "measurements");
  const known = new Set(
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => /\.(md|json)$/.test(f) && f !== "README.md")
          .flatMap((f) => figures(fs.readFileSync(path.join(dir, f), "utf8")))
      : [],
  );
  return blocks(root).flatMap(({ file, text }) =>
    figures(text)
      .filter((x) => !known.has(x))
      .map((x) => `${file}: ${x}`),
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "--check") {
    const s = stale();
    if (s.length)
      console.error(`stale: ${s.join(", ")}; regenerate with npm run measurements -- --write`);
    const u = unbackedFigures();
    if (u.length)
      console.error(`figures no record under docs/measurements/ holds: ${u.join(", ")}`);
    return s.length || u.length ? 1 : 0;
  }
  if (cmd === "--write") {
    const w = writeAll();
    console.log(w.length ? `wrote ${w.join(", ")}` : "up to date");
    return 0;
  }
  if (cmd === "record") {
    let reportDir = path.join(ROOT, "lab-report");
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === "--report-dir" && rest[i + 1]) reportDir = path.resolve(rest[++i]);
      else
        throw new MeasurementError(
          `unknown argument ${rest[i]}; usage: npm run measurements -- record [--report-dir DIR]`,
          2,
        );
    }
    // A report from before the lab recorded its machine: this is the machine it ran on, or say so.
    const { readMachine } = await import("../lab/machine");
    const machine = await readMachine().catch(() => undefined);
    const stem = record(reportDir, machine ? { machine } : {});
    console.log(
      `recorded docs/measurements/${stem}.json and .md; README block and history rewritten`,
    );
    return 0;
  }
  throw new MeasurementError(
    "usage: npm run measurements -- record [--report-dir DIR] | --write | --check",
    2,
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(e instanceof MeasurementError ? e.exitCode : 4);
    },
  );
}
