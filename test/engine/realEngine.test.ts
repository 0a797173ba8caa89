/**
 * The real Pulumi engine (the CLI `npm run tools` built from the Go module proxy), not mocks: state in a
 * file backend, passphrase secrets, a no-op second run, the policy pack loaded the way a published pack
 * is, and a plugin the engine would have to download refused by name. `.ci/run` builds the tools first;
 * without them (`npm test` on a machine where `npm run tools` never ran) the suite says so and skips.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { inlineStack, REPO_ROOT, toolsManifest } from "../../lab/engine/pulumi";

const manifest = toolsManifest();
const lockVersion = (pkg: string): string =>
  (
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string }>;
    }
  ).packages[`node_modules/${pkg}`].version;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-engine-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A provider-free program: a component with a child component, a plain and a secret output. */
function program(label: string) {
  return async () => {
    class Part extends pulumi.ComponentResource {
      constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("swarm-ha:test:Part", name, {}, opts);
        this.registerOutputs({});
      }
    }
    const cfg = new pulumi.Config();
    const parent = new Part("tier");
    new Part(`tier-${label}`, { parent });
    return { label, token: cfg.requireSecret("token") };
  };
}

/** A copy of policy/ alone in a folder, as `pulumi policy publish` packs it, with the project's packages. */
function publishedPackCopy(extraFile?: { name: string; text: string }): string {
  const dir = fs.mkdtempSync(path.join(scratch, "pack-"));
  const pack = path.join(dir, "policy");
  fs.cpSync(path.join(REPO_ROOT, "policy"), pack, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}node_modules`),
  });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(pack, "node_modules"));
  if (extraFile) fs.writeFileSync(path.join(pack, extraFile.name), extraFile.text);
  return pack;
}

describe.skipIf(manifest === undefined)(
  `the real Pulumi engine${manifest ? ` ${manifest.pulumi}` : " (skipped: run `npm run tools` to build it)"}`,
  () => {
    it("is the CLI version package-lock.json pins for @pulumi/pulumi", () => {
      expect(manifest!.pulumi).toBe(`v${lockVersion("@pulumi/pulumi")}`);
    });

    it("runs up, a no-op preview, a change and destroy on a file backend with passphrase secrets", async () => {
      const stateDir = path.join(scratch, "state");
      const config = { token: { value: "s3cr3t", secret: true } };
      let stack = await inlineStack({
        projectName: "engine-smoke",
        stackName: "dev",
        program: program("a"),
        stateDir,
        config,
      });
      const up = await stack.up();
      expect(up.summary.result).toBe("succeeded");
      expect(up.summary.resourceChanges).toMatchObject({ create: 3 }); // stack + two components
      expect(up.outputs.label.value).toBe("a");
      expect(up.outputs.token).toMatchObject({ secret: true, value: "s3cr3t" });
      // The secret is encrypted in the state file, never written in plain text.
      const stateText = fs.readFileSync(
        fs
          .readdirSync(path.join(stateDir, ".pulumi", "stacks", "engine-smoke"))
          .map((f) => path.join(stateDir, ".pulumi", "stacks", "engine-smoke", f))
          .find((f) => f.endsWith("dev.json"))!,
        "utf8",
      );
      expect(stateText).not.toContain("s3cr3t");

      const same = await stack.preview({ expectNoChanges: true });
      expect(same.changeSummary).toMatchObject({ same: 3 });

      // The same assertion fails once the program changes: the no-op check can fail.
      stack = await inlineStack({
        projectName: "engine-smoke",
        stackName: "dev",
        program: program("b"),
        stateDir,
      });
      await expect(stack.preview({ expectNoChanges: true })).rejects.toThrow(
        /no changes were expected/i,
      );
      const down = await stack.destroy();
      expect(down.summary.result).toBe("succeeded");
    }, 240_000);

    it("loads the policy pack from a copy of policy/ alone, as a published pack is loaded", async () => {
      const stateDir = path.join(scratch, "state-policy");
      const stack = await inlineStack({
        projectName: "engine-policy",
        stackName: "dev",
        program: program("p"),
        stateDir,
        config: { token: { value: "x", secret: true } },
      });
      let text = "";
      const r = await stack.preview({
        policyPacks: [publishedPackCopy()],
        onOutput: (s) => (text += s),
      });
      expect(r.changeSummary).toMatchObject({ create: 3 });
      expect(text).toMatch(/✅ swarm-ha@v0\.1\.0 \(local: /);
    }, 240_000);

    it("fails to load a pack that imports from outside its folder (what a published pack cannot do)", async () => {
      const stateDir = path.join(scratch, "state-policy-bad");
      const stack = await inlineStack({
        projectName: "engine-policy-bad",
        stackName: "dev",
        program: program("p"),
        stateDir,
        config: { token: { value: "x", secret: true } },
      });
      const pack = publishedPackCopy();
      // At the top, as an import of a shared module would be: the pack never starts.
      const index = path.join(pack, "index.ts");
      fs.writeFileSync(index, `import "../base/tags";\n${fs.readFileSync(index, "utf8")}`);
      await expect(stack.preview({ policyPacks: [pack] })).rejects.toThrow(
        /base\/tags|Cannot find module|policy pack/i,
      );
    }, 240_000);

    it("refuses a resource whose plugin is not installed, naming the plugin, and downloads nothing", async () => {
      const stateDir = path.join(scratch, "state-plugin");
      const stack = await inlineStack({
        projectName: "engine-plugin",
        stackName: "dev",
        stateDir,
        program: async () => {
          class Thing extends pulumi.CustomResource {
            constructor(name: string) {
              super("swarmhatest:index:Thing", name, {}, { version: "0.0.1" });
            }
          }
          new Thing("thing");
        },
      });
      await expect(stack.preview()).rejects.toThrow(/swarmhatest/);
      const pluginDir = path.join(REPO_ROOT, ".tools", "home", "plugins");
      const plugins = fs.existsSync(pluginDir)
        ? fs.readdirSync(pluginDir, { withFileTypes: true })
        : [];
      expect(plugins.map((p) => p.name).filter((n) => n.includes("swarmhatest"))).toEqual([]);
    }, 240_000);
  },
);
