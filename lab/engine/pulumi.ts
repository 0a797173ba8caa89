/**
 * The real Pulumi engine, as `npm run tools` builds it into .tools/: where it is, the environment every
 * run gets, and inline programs run through it.
 *
 * Every run is hermetic: PULUMI_HOME inside .tools (the plugin cache the tools build reports on), a
 * file backend in a directory the caller owns, a passphrase secrets provider, no update check and no
 * plugin download (a plugin the engine would have to fetch fails the run, naming the plugin).
 *
 * Programs run through the Automation API's in-process language server (`--client`): the Node.js
 * language host is a separate Go module the module proxy here does not serve (tools/README.md), and
 * the in-process server is the path every inline Automation API program takes in production.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  type InlineProgramArgs,
  type Stack,
} from "@pulumi/pulumi/automation";

/** Repository root (this file is lab/engine/pulumi.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** Where `npm run tools` puts the CLI (bin/pulumi) and its plugin cache (home/). */
export const TOOLS_DIR = path.join(REPO_ROOT, ".tools");
/** The passphrase of every engine-run stack here: lab and test state only, never a real secret. */
export const TEST_PASSPHRASE = "swarm-ha-lab-passphrase";

export interface ToolsManifest {
  readonly pulumi: string;
  readonly built: boolean;
  readonly seconds: number;
  readonly plugins: Record<
    string,
    { readonly want: string; readonly have: string[]; readonly status: string }
  >;
}

/** The manifest `npm run tools` wrote, or undefined when the tools were never built here. */
export function toolsManifest(dir = TOOLS_DIR): ToolsManifest | undefined {
  const file = path.join(dir, "manifest.json");
  if (!fs.existsSync(file) || !fs.existsSync(path.join(dir, "bin", "pulumi"))) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as ToolsManifest;
}

/** Resource plugins the engine would need but does not have, named with the version it wants. */
export function missingPlugins(manifest: ToolsManifest, names: readonly string[]): string[] {
  return names
    .filter((n) => manifest.plugins[n]?.status !== "installed")
    .map((n) => `${n} ${manifest.plugins[n]?.want ?? "(unknown version)"}`);
}

/** The environment of every engine run: hermetic, offline, file backend at `stateDir`. */
export function engineEnv(stateDir: string, dir = TOOLS_DIR): Record<string, string> {
  return {
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The analyzer shim for Node.js policy packs sits beside the CLI.
    PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`,
  };
}

export interface InlineStackArgs {
  readonly projectName: string;
  readonly stackName: string;
  readonly program: InlineProgramArgs["program"];
  /** File backend directory (created if missing). */
  readonly stateDir: string;
  /** Stack config, set before the first run (values marked secret are encrypted with the passphrase). */
  readonly config?: Record<string, { value: string; secret?: boolean }>;
  readonly toolsDir?: string;
}

/** Creates or selects an inline-program stack on the built CLI, with a file backend. */
export async function inlineStack(args: InlineStackArgs): Promise<Stack> {
  const dir = args.toolsDir ?? TOOLS_DIR;
  fs.mkdirSync(args.stateDir, { recursive: true });
  const envVars = engineEnv(args.stateDir, dir);
  for (const [k, v] of Object.entries(envVars)) process.env[k] = v; // the in-process runtime reads some too
  const pulumiCommand = await PulumiCommand.get({ root: dir });
  const stack = await LocalWorkspace.createOrSelectStack(
    { projectName: args.projectName, stackName: args.stackName, program: args.program },
    {
      pulumiCommand,
      envVars,
      workDir: args.stateDir,
      projectSettings: {
        name: args.projectName,
        runtime: "nodejs",
        backend: { url: `file://${args.stateDir}` },
      },
      secretsProvider: "passphrase",
    },
  );
  if (args.config) await stack.setAllConfig(args.config);
  return stack;
}
