/**
 * The ChaosCheck component through the real engine and the real `command` provider: the drill is a
 * scratch cli/chaos.ts that records what it was given and prints a passing report, so the engine's
 * diff, ignoreChanges and replacement decide what the drill sees, not mocks. Needs the command plugin
 * in .tools/home (tools/README.md: the module proxy does not serve its source); skipped without it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChaosCheck } from "../../components/chaosCheck";
import { inlineStack, missingPlugins, REPO_ROOT, toolsManifest } from "../../lab/engine/pulumi";

const manifest = toolsManifest();
const missing = manifest
  ? missingPlugins(manifest, ["command"])
  : ["the Pulumi CLI (npm run tools)"];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-chaoscheck-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A checkout-shaped folder whose cli/chaos.ts appends its stdin and arguments to runs.jsonl. */
function fakeDrillDir(): string {
  const dir = path.join(scratch, "checkout");
  fs.mkdirSync(path.join(dir, "cli"), { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.writeFileSync(
    path.join(dir, "cli", "chaos.ts"),
    `import * as fs from "node:fs";
const stdin = fs.readFileSync(0, "utf8");
fs.appendFileSync(${JSON.stringify(path.join(dir, "runs.jsonl"))}, JSON.stringify({ args: process.argv.slice(2), stdin: JSON.parse(stdin), env: { AWS_PROFILE: process.env.AWS_PROFILE ?? null } }) + "\\n");
console.log(JSON.stringify({ passed: true, scenario: "fake" }));
`,
  );
  return dir;
}

interface Run {
  args: string[];
  stdin: { nodes: { name: string; instanceId: string; publicIp: string }[] };
}
const runs = (dir: string): Run[] =>
  fs.existsSync(path.join(dir, "runs.jsonl"))
    ? fs
        .readFileSync(path.join(dir, "runs.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Run)
    : [];

describe.skipIf(missing.length > 0)(
  `ChaosCheck on the real engine${missing.length ? ` (skipped: no ${missing.join(", ")} plugin; tools/README.md)` : ""}`,
  () => {
    const dir = fakeDrillDir();
    const stateDir = path.join(scratch, "state");
    const stackFor = (nodes: Run["stdin"]["nodes"]) =>
      inlineStack({
        projectName: "chaoscheck-engine",
        stackName: "dev",
        stateDir,
        program: async () => {
          const check = new ChaosCheck("chaos", {
            target: "worker",
            deadlineSeconds: 60,
            stackOutputs: { nodes },
            // What the program passes: the node set (instance ids).
            triggers: [nodes.map((n) => n.instanceId)],
            workDir: dir,
          });
          return { passed: check.passed };
        },
      });
    const node = (name: string, instanceId: string, publicIp: string) => ({
      name,
      instanceId,
      publicIp,
    });

    it("runs the drill once on the first up", async () => {
      const stack = await stackFor([node("worker-0", "i-0aaaaaaaaaaaaaaa1", "198.51.100.1")]);
      const r = await stack.up();
      expect(r.outputs.passed.value).toBe(true);
      expect(runs(dir)).toHaveLength(1);
    }, 300_000);

    it("does not re-run when only a public IP in the outputs changed", async () => {
      const stack = await stackFor([node("worker-0", "i-0aaaaaaaaaaaaaaa1", "198.51.100.99")]);
      await stack.preview({ expectNoChanges: true });
      await stack.up();
      expect(runs(dir)).toHaveLength(1);
    }, 300_000);

    it("gives the drill the new node set when a worker is replaced (finding 4: not the old state's stdin)", async () => {
      const replaced = [node("worker-0", "i-0bbbbbbbbbbbbbbb2", "198.51.100.2")];
      const stack = await stackFor(replaced);
      await stack.up();
      const all = runs(dir);
      expect(all).toHaveLength(2);
      expect(all[1].stdin.nodes.map((n) => n.instanceId)).toEqual(["i-0bbbbbbbbbbbbbbb2"]);
    }, 300_000);
  },
);
