/**
 * Runs the update and NFS scenarios of the failure matrix on the lab (brought up, or reused when
 * one with the same flags runs) and writes their results as JSON. Until the matrix runner
 * (npm run lab -- matrix) wires them, this is how to run them by hand:
 *
 *   flock /tmp/swarm-ha-lab.lock node --import tsx scripts/scenarios.ts --only rolling-update,bad-update,nfs-stop \
 *     --connections 200 --out lab-report/scenarios.json -- --managers 3 --workers 5
 *
 * Flags after `--` go to the lab's bring-up (npm run lab -- up --no-drill ...). The lab is left up.
 * Exit: 0 every scenario passed, 1 one failed (its reasons are printed), 2 bad flags.
 */
import * as fs from "fs";
import * as path from "path";
import { readArgv, type FlagSpec } from "../base/argv";
import { signalGuard, type SignalGuard } from "../base/signals";
import type { ScenarioResult } from "../chaos/scenarios/matrix";
import { LabInfo, up } from "../lab/lab";
import { nfsStop } from "../lab/nfsOutage";
import { parseArgs } from "../lab/settings";
import { badUpdate, rollingUpdate } from "../lab/updateScenarios";

const RUNNERS = {
  "rolling-update": rollingUpdate,
  "bad-update": badUpdate,
  "nfs-stop": nfsStop,
} as const;
type Name = keyof typeof RUNNERS;

/** The script's own flags (util.parseArgs through base/argv.ts); each takes a value. */
const FLAGS = {
  only: { type: "string" },
  connections: { type: "string" },
  out: { type: "string" },
} as const satisfies FlagSpec;

/** Parses argv: the script's flags, then after `--` the lab's. Throws the one line to print (exit 2). */
export function parse(argv: readonly string[]): {
  only: Name[];
  connections: number;
  out: string;
  lab: string[];
} {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? [...argv] : argv.slice(0, dash);
  const lab = dash < 0 ? [] : argv.slice(dash + 1);
  let only = Object.keys(RUNNERS) as Name[];
  let connections = 200;
  let out = "lab-report/scenarios.json";
  for (const w of readArgv(own, FLAGS)) {
    // A flag and its value, as typed (`--flag=value` is not one of this script's forms).
    const v = w.kind === "flag" && !w.inline ? w.value : undefined;
    const name = w.kind === "flag" && !w.inline ? w.name : undefined;
    if (name === "only" && v) {
      only = v.split(",") as Name[];
      const bad = only.filter((n) => !(n in RUNNERS));
      if (bad.length)
        throw new Error(
          `--only: unknown scenario ${bad.join(", ")}; choose from ${Object.keys(RUNNERS).join(", ")}`,
        );
    } else if (name === "connections" && v && /^\d+$/.test(v) && Number(v) >= 1)
      connections = Number(v);
    else if (name === "out" && v) out = v;
    else {
      const [flag, next] = [own[w.index], own[w.index + 1]];
      throw new Error(
        `unknown or incomplete flag ${flag}${next ? ` ${next}` : ""}; use --only a,b --connections N --out FILE [-- lab flags]`,
      );
    }
  }
  return { only, connections, out, lab };
}

function summary(r: ScenarioResult): string {
  const d = r.detail ?? {};
  const figure = ["updateSeconds", "rollbackSeconds", "linesLost"]
    .filter((k) => k in d)
    .map((k) => `${k} ${JSON.stringify(d[k])}`);
  return (
    `${r.passed ? "✔" : "✘"} ${r.name}: ${r.load.requests} requests, ${r.load.failed} failed, p50 ${r.load.p50Ms} ms, ` +
    `p99 ${r.load.p99Ms} ms, resent ${r.load.resent}${figure.length ? `, ${figure.join(", ")}` : ""}` +
    (r.detectSeconds !== null ? `, detect ${r.detectSeconds} s` : "")
  );
}

async function main(guard: SignalGuard): Promise<number> {
  let o: ReturnType<typeof parse>;
  try {
    o = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  const log = (l: string) => console.log(l);
  const info: LabInfo = await up(parseArgs(["up", "--no-drill", ...o.lab]) as never, log);
  const results: ScenarioResult[] = [];
  for (const name of o.only) {
    if (guard.interrupted) break; // healing before the exit: start nothing more
    log(`▶ ${name} under ${o.connections} connections`);
    const r = await RUNNERS[name](info, { connections: o.connections, log });
    results.push(r);
    log(summary(r));
    for (const f of r.failures) log(`  ✘ ${f}`);
    for (const m of r.marks ?? []) log(`  t=${m.t} s  ${m.label}`);
  }
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(
    o.out,
    JSON.stringify({ connections: o.connections, scenarios: results }, null, 2) + "\n",
  );
  log(`wrote ${o.out}`);
  return results.every((r) => r.passed) ? 0 : 1;
}

// Run as a script (tsx scripts/scenarios.ts); a test imports parse() alone. Through the signal guard
// (base/signals.ts): after a Ctrl-C the scenario's heal finishes first.
if (require.main === module) {
  const guard = signalGuard();
  main(guard).then(
    (code) => guard.exit(code),
    (e: unknown) => {
      if (!guard.interrupted) console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      guard.exit(4);
    },
  );
}
