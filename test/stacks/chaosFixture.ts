/**
 * The chaos CLI's outputs fixture, generated from the program: the prod stack under mocks, exported
 * as `pulumi stack output --json --show-secrets` prints it. `npx tsx test/stacks/chaosFixture.ts
 * --write` rewrites test/chaos/fixtures/outputs.prod.json; chaosFixture.test.ts fails on any drift.
 */
import * as fs from "fs";
import * as path from "path";
import { runProgram } from "../mocks";

export const FIXTURE_FILE = path.join(__dirname, "..", "chaos", "fixtures", "outputs.prod.json");
export const FIXTURE_ADMIN_CIDR = "192.0.2.10/32";

/** The outputs of the prod stack, as the CLI's `--outputs` file holds them (keys sorted, as the pulumi CLI prints them). */
export async function programOutputsJson(): Promise<string> {
  const s = await runProgram("prod", { adminCidr: FIXTURE_ADMIN_CIDR });
  const plain = JSON.parse(JSON.stringify(s.outputs)) as Record<string, unknown>;
  const sorted = Object.fromEntries(
    Object.keys(plain)
      .sort()
      .map((k) => [k, plain[k]]),
  );
  return JSON.stringify(sorted, null, 2) + "\n";
}

if (require.main === module) {
  programOutputsJson().then(
    (text) => {
      if (process.argv.includes("--write")) fs.writeFileSync(FIXTURE_FILE, text);
      else process.stdout.write(text);
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
