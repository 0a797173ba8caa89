/**
 * Generates the config reference from `CONFIG_KEYS` (config/schema.ts), the single source of truth:
 * the `config:` block of Pulumi.yaml and the README table between `<!-- config:start -->` and
 * `<!-- config:end -->`.
 *
 *   tsx scripts/configDoc.ts --write   rewrite both (README only when it exists)
 *   tsx scripts/configDoc.ts --check   exit 1 when either has drifted (what CI runs)
 *   tsx scripts/configDoc.ts           print both
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { CONFIG_KEYS, ConfigKey } from "../config/schema";

export const ROOT = path.join(__dirname, "..");
export const PULUMI_YAML = path.join(ROOT, "Pulumi.yaml");
export const README = path.join(ROOT, "README.md");
export const README_START = "<!-- config:start -->";
export const README_END = "<!-- config:end -->";
const GENERATED_NOTE =
  "# Generated from CONFIG_KEYS in config/schema.ts by `npm run docs:config`; edit there, not here.";

/** One key as Pulumi.yaml declares it (project keys are declared without the project prefix). */
export interface ConfigDeclaration {
  type: Exclude<ConfigKey["type"], "number">;
  items?: { type: "string" };
  description: string;
  default?: string | number | boolean | string[];
  secret?: true;
}

export function declaration(k: ConfigKey): ConfigDeclaration {
  // Key order type, items, description, default, secret: how Pulumi's own docs write a declaration.
  const d: ConfigDeclaration = {
    // Pulumi's project schema has no number type: a decimal key is declared a string (config/schema.ts ConfigType).
    type: k.type === "number" ? "string" : k.type,
    // Every array setting is a list of strings; Pulumi requires `items` on an array type.
    ...(k.type === "array" ? { items: { type: "string" as const } } : {}),
    description: k.description,
  };
  // No default line means Pulumi itself refuses a stack that leaves the key unset.
  if (k.default !== undefined) {
    d.default = Array.isArray(k.default)
      ? [...k.default]
      : k.type === "number"
        ? String(k.default)
        : (k.default as string | number | boolean);
  }
  // The CLI copies a project default into the stack config as a PLAIN value and then refuses it for a
  // `secret: true` key ("... must be encrypted as it's secret"), while a secret key without a default
  // is required ("Stack ... is missing configuration value"): pulumi/pulumi
  // sdk/go/common/workspace/config.go, mergeConfig and validateStackConfigValue. So only a required
  // secret is declared `secret: true`; an optional one keeps its default and config/config.ts refuses
  // a non-empty value that was not set with --secret.
  if (k.secret && k.default === undefined) d.secret = true;
  return d;
}

/** The `config:` block, from its `config:` line to the end, with the generated-file note above it. */
export function renderConfigBlock(keys: readonly ConfigKey[] = CONFIG_KEYS): string {
  const config = Object.fromEntries(keys.map((k) => [k.key, declaration(k)]));
  return `${GENERATED_NOTE}\n${stringify({ config }, { lineWidth: 0 })}`;
}

/**
 * Replaces the config block of a Pulumi.yaml text (from the generated note or `config:` up to the
 * next top-level key or the end), or appends it when there is none.
 */
export function replaceConfigBlock(pulumiYaml: string, block: string): string {
  const lines = pulumiYaml.split("\n");
  let start = lines.findIndex((l) => /^config:\s*$/.test(l));
  if (start === -1) return `${pulumiYaml.replace(/\n*$/, "\n")}\n${block}`;
  if (start > 0 && lines[start - 1] === GENERATED_NOTE) start -= 1;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^[A-Za-z_]/.test(lines[i]) && !/^config:/.test(lines[i]) && lines[i] !== GENERATED_NOTE) {
      end = i;
      break;
    }
  }
  const rest = lines.slice(end).join("\n");
  return [...lines.slice(0, start), block.replace(/\n$/, ""), ...(rest ? ["", rest] : [""])].join(
    "\n",
  );
}

export function formatDefault(k: ConfigKey): string {
  if (k.default === undefined) return "*required*";
  if (typeof k.default === "string") return k.default === "" ? '`""`' : `\`${k.default}\``;
  return `\`${JSON.stringify(k.default)}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The README config reference: one row per key, in CONFIG_KEYS order. */
export function renderReadmeTable(keys: readonly ConfigKey[] = CONFIG_KEYS): string {
  const rows = keys.map(
    (k) =>
      `| \`${k.key}\` | ${k.type}${k.secret ? " (secret)" : ""} | ${cell(formatDefault(k))} | ${cell(k.description)} |`,
  );
  // The README explains above the markers where the table comes from; only the table goes inside.
  return ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}

/** Replaces what lies between the README markers; undefined when the markers are missing. */
export function replaceReadmeSection(readme: string, table: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) return undefined;
  return `${readme.slice(0, start + README_START.length)}\n${table}\n${readme.slice(end)}`;
}

export interface DocTarget {
  readonly file: string;
  readonly current: string;
  readonly expected: string;
}

/** What each generated file should contain. README is left out when it does not exist yet. */
export function targets(): { targets: DocTarget[]; problems: string[] } {
  const out: DocTarget[] = [];
  const problems: string[] = [];
  const pulumiYaml = fs.readFileSync(PULUMI_YAML, "utf8");
  out.push({
    file: PULUMI_YAML,
    current: pulumiYaml,
    expected: replaceConfigBlock(pulumiYaml, renderConfigBlock()),
  });
  if (fs.existsSync(README)) {
    const readme = fs.readFileSync(README, "utf8");
    const expected = replaceReadmeSection(readme, renderReadmeTable());
    if (expected === undefined)
      problems.push(
        `README.md has no ${README_START} ... ${README_END} section for the config reference`,
      );
    else out.push({ file: README, current: readme, expected });
  }
  return { targets: out, problems };
}

function main(argv: readonly string[]): number {
  const { targets: ts, problems } = targets();
  for (const p of problems) console.error(p);
  if (argv.includes("--write")) {
    for (const t of ts) {
      if (t.current !== t.expected) {
        fs.writeFileSync(t.file, t.expected);
        console.log(`wrote ${path.relative(ROOT, t.file)}`);
      }
    }
    return problems.length === 0 ? 0 : 1;
  }
  if (argv.includes("--check")) {
    const drifted = ts.filter((t) => t.current !== t.expected);
    for (const t of drifted) {
      console.error(
        `${path.relative(ROOT, t.file)} is out of date with config/schema.ts; run \`npm run docs:config\``,
      );
    }
    return drifted.length === 0 && problems.length === 0 ? 0 : 1;
  }
  console.log(renderConfigBlock());
  console.log(renderReadmeTable());
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
