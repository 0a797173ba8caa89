/**
 * The AWS program's resource graph as URNs see it (parent types, type and name of each), for dev
 * and prod under mocks. `npx tsx test/stacks/awsGraph.ts --write` rewrites test/stacks/fixtures/;
 * awsGraph.test.ts fails on any drift, so a refactor of the components (the host-agnostic split of
 * issue 22) cannot rename, re-parent, add or drop a resource of a deployed stack unnoticed.
 */
import * as fs from "fs";
import * as path from "path";
import { runProgram } from "../mocks";

export const GRAPH_DIR = path.join(__dirname, "fixtures");
export const graphFile = (stack: string) => path.join(GRAPH_DIR, `graph.${stack}.json`);

/**
 * Every resource's URN (the identity a deployed stack keys its state by: parent types, type and
 * name), sorted (registration order varies with timing).
 */
export async function awsGraph(stack: "dev" | "prod"): Promise<string[]> {
  const s = await runProgram(stack, { adminCidr: "192.0.2.10/32", chaosEnabled: "true" });
  return [...s.urns].sort();
}

if (require.main === module) {
  const stack = process.argv[2] as "dev" | "prod";
  awsGraph(stack).then(
    (lines) => {
      const text = JSON.stringify(lines, null, 2) + "\n";
      if (process.argv.includes("--write")) {
        fs.mkdirSync(GRAPH_DIR, { recursive: true });
        fs.writeFileSync(graphFile(stack), text);
      } else process.stdout.write(text);
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
