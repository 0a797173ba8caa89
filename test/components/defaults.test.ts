/**
 * Component defaults live once, in config/schema.ts: a component that falls back to a literal for
 * an argument the config also sets would drift from the schema the day one of them changes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, schemaDefault } from "../../config/schema";

/** Literal fallbacks (`x ?? 3`, `x ?? "was"`, `x ?? true`) in a source text, as "line: text". */
function literalFallbacks(source: string): string[] {
  return (
    source
      .split("\n")
      .map((line, i) => `${i + 1}: ${line.trim()}`)
      // An empty string is "absent" (an unknown id), not a default.
      .filter((line) => /\?\?\s*(-?\d[\d_.]*|"[^"]+"|'[^']+'|true|false)(?!\w)/.test(line))
  );
}

/** Fallbacks that are not the schema's: literals allowed only for arguments no config key sets. */
const NOT_CONFIG = [
  /pairInterface \?\? "ens5"/,
  /rootVolumeGiB \?\? 20/,
  /sizeGiB \?\? 20/,
  /retainOnDelete \?\? true/,
  /args\.sudo \?\? true/,
  /args\.configure \?\? true/,
];

describe("component defaults", () => {
  it("the scan finds a literal fallback (scripted case)", () => {
    expect(
      literalFallbacks('const replicas = args.replicas ?? 3;\nconst n = args.name ?? "was";'),
    ).toHaveLength(2);
    expect(
      literalFallbacks(
        'const r = args.replicas ?? schemaDefault<number>("wasReplicas", "number");',
      ),
    ).toEqual([]);
  });

  it("no component falls back to a literal for a config-backed argument", () => {
    const found = componentSources()
      .flatMap(([f, text]) => literalFallbacks(text).map((l) => `${f}:${l}`))
      .filter((l) => !NOT_CONFIG.some((re) => re.test(l)));
    expect(found).toEqual([]);
  });

  it("schemaDefault reads CONFIG_KEYS and refuses a missing key or a wrong type", () => {
    expect(schemaDefault<number>("wasReplicas", "number")).toBe(
      CONFIG_KEYS.find((k) => k.key === "wasReplicas")!.default,
    );
    expect(() => schemaDefault("wasReplica", "number")).toThrow(
      /no number default for config key "wasReplica"/,
    );
    expect(() => schemaDefault("wasPort", "string")).toThrow(/no string default/);
  });

  it("every \"Default: config key K's (V)\" doc comment names K's schema default", () => {
    const claims = componentSources().flatMap(([file, text]) =>
      documentedDefaults(text).map((c) => ({ file, ...c })),
    );
    expect(claims.length).toBeGreaterThanOrEqual(6);
    const wrong = claims.filter((c) => {
      const k = CONFIG_KEYS.find((x) => x.key === c.key);
      return k === undefined || String(k.default) !== c.value;
    });
    expect(wrong).toEqual([]);
  });

  it("the doc-comment scan reads key and value (scripted case)", () => {
    expect(
      documentedDefaults("/** Delay. Default: config key taskRestartDelaySeconds's (1). */"),
    ).toEqual([{ key: "taskRestartDelaySeconds", value: "1" }]);
  });
});

/** `Default: config key K's (V)` claims in a source text. */
function documentedDefaults(source: string): Array<{ key: string; value: string }> {
  return [...source.matchAll(/Default: config key (\w+)'s \(([^)]*)\)/g)].map((m) => ({
    key: m[1],
    value: m[2],
  }));
}

/** Every components/*.ts as [file name, text]. */
function componentSources(): Array<[string, string]> {
  const dir = path.join(__dirname, "..", "..", "components");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]);
}
