/**
 * `npm run lab [-- up|down|drill|status] [flags]`: the local lab's command line. Errors print as
 * one line naming what is wrong and how to fix it, with a non-zero exit.
 */
import { LabError } from "./docker";
import { down, labContainers, up } from "./lab";
import { runLabDrills } from "./drill";
import { parseArgs, USAGE } from "./settings";
import { status } from "./status";

const log = (line: string) => console.log(line);

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const o = parsed;
  switch (o.command) {
    case "down": {
      const removed = await down(log);
      log(removed.length ? `lab removed (${removed.length} objects)` : "no lab to remove");
      return 0;
    }
    case "status":
      await status(log);
      return 0;
    case "up": {
      const info = await up(o, log);
      log(`lab ${info.reused ? "reused" : info.images.built.length ? "up (cold: images built)" : "up (warm: images cached)"} in ${info.totalSeconds.toFixed(1)} s: ${info.url}`);
      if (!o.drill) {
        log(`entry point: ${info.url}   tear down: npm run lab -- down`);
        return 0;
      }
      const r = await runLabDrills(info, o, log);
      log(`entry point: ${info.url}   tear down: npm run lab -- down`);
      return r.passed ? 0 : 1;
    }
    case "drill": {
      if ((await labContainers()).length === 0) throw new LabError("no lab is running; start one with npm run lab -- up");
      const info = await up({ ...o, keepOnFailure: true }, log); // reuses the running lab
      const r = await runLabDrills(info, o, log);
      return r.passed ? 0 : 1;
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof LabError) console.error(`error: ${e.message}`);
    else console.error(e);
    process.exit(1);
  },
);
