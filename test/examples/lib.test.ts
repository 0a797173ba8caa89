/**
 * The library entry point: what `import … from "swarm-ha"` resolves to, what it exports, and that
 * every argument a caller sees is documented.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import * as lib from "../../lib";

const ROOT = path.join(__dirname, "..", "..");

/** Fields of exported `…Args` interfaces without a JSDoc comment right above them, as "Interface.field". */
export function undocumentedArgs(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(
    /export interface (\w+Args)(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/g,
  )) {
    const lines = m[2].split("\n");
    lines.forEach((line, i) => {
      const field = /^ {2}readonly (\w+)\??:/.exec(line);
      if (field && !lines[i - 1]?.trim().endsWith("*/")) out.push(`${m[1]}.${field[1]}`);
    });
  }
  return out;
}

describe("library entry point", () => {
  it("is what the package name resolves to: lib.ts compiled to dist/ (package.json exports, main, types)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.exports["."]).toEqual({ types: "./dist/lib.d.ts", default: "./dist/lib.js" });
    expect([pkg.main, pkg.types]).toEqual(["dist/lib.js", "dist/lib.d.ts"]);
    // tsconfig.build.json compiles lib.ts (and what it imports) to dist/, keeping the tree: lib.ts → dist/lib.js.
    const build = ts.readConfigFile(path.join(ROOT, "tsconfig.build.json"), ts.sys.readFile)
      .config as { files: string[]; compilerOptions: Record<string, unknown> };
    expect(build.files).toEqual(["lib.ts"]);
    expect(build.compilerOptions).toMatchObject({
      outDir: "dist",
      rootDir: ".",
      declaration: true,
      noEmit: false,
    });
    // Inside this repository the examples load the source (vitest.config.ts alias); the packed
    // tarball is installed and synthesized by test/package/pack.test.ts.
    expect(fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n")).toContain("dist/");
  });

  it("keeps index.ts the program: Pulumi would otherwise run the exports entry (run.js)", () => {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    expect(project.main).toBe("index.ts");
    const example = parse(
      fs.readFileSync(path.join(ROOT, "examples", "existing-vpc", "Pulumi.yaml"), "utf8"),
    );
    expect(example.main).toBe("index.ts");
  });

  it("exports every component", () => {
    for (const name of [
      "Network",
      "ExistingNetwork",
      "SwarmCluster",
      "NfsLogServer",
      "EfsLogStore",
      "WasService",
      "EdgeTier",
      "ChaosCheck",
      "SwarmBootstrap",
      "NfsExport",
      "EdgeConfig",
    ]) {
      expect(typeof (lib as Record<string, unknown>)[name], name).toBe("function");
    }
    expect(typeof lib.Network.existing).toBe("function");
  });

  it("finds an undocumented argument (scripted case)", () => {
    const src =
      "export interface FooArgs {\n  /** Documented. */\n  readonly a: string;\n  readonly b?: number;\n}";
    expect(undocumentedArgs(src)).toEqual(["FooArgs.b"]);
  });

  it("documents every argument of every exported Args interface", () => {
    const dir = path.join(ROOT, "components");
    const missing = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) =>
        undocumentedArgs(fs.readFileSync(path.join(dir, f), "utf8")).map((x) => `${f}: ${x}`),
      );
    expect(missing).toEqual([]);
  });
});
