/**
 * Scale benchmark (a script, not a timed test): synthesises the dev stack under mocks with 3, 30 and
 * 100 workers, each in a fresh process, and prints wall times. `npm run bench`.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
console.log("workers  resources  instances  synth seconds  process seconds");
for (const workers of sizes.length > 0 ? sizes : [3, 30, 100]) {
  const t0 = Date.now();
  const out = execFileSync(tsx, [path.join(__dirname, "synth.ts"), String(workers)], {
    encoding: "utf8",
  });
  const wall = (Date.now() - t0) / 1000;
  const r = JSON.parse(out.trim().split("\n").pop()!);
  console.log(
    `${String(r.workers).padStart(7)}  ${String(r.resources).padStart(9)}  ${String(r.instances).padStart(9)}  ` +
      `${r.seconds.toFixed(2).padStart(13)}  ${wall.toFixed(2).padStart(15)}`,
  );
}
