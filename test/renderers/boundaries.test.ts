import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");

/** Relative imports of every .ts file in `dir`, as "file -> target" lines. */
function relativeImports(dir: string): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith(".ts"))) {
    const text = fs.readFileSync(path.join(root, dir, f), "utf8");
    for (const m of text.matchAll(/(?:import|export)[^;]*?from\s+"(\.[^"]+)"/g)) {
      out.push(`${dir}/${f} -> ${path.posix.join(dir, m[1])}`);
    }
  }
  return out;
}

/** Imports of `dir` that leave it for anything but the allowed lower modules. */
function upward(dir: string, allowed: readonly string[]): string[] {
  return relativeImports(dir).filter((line) => {
    const target = line.split(" -> ")[1];
    return !target.startsWith(`${dir}/`) && !allowed.some((a) => target.startsWith(`${a}/`));
  });
}

describe("import direction", () => {
  it("the checker finds an upward import (scripted case)", () => {
    const scratch = fs.mkdtempSync(path.join(root, "test", "renderers", ".boundary-"));
    const dir = path.relative(root, scratch);
    try {
      fs.writeFileSync(path.join(scratch, "x.ts"), 'import { parseConfig } from "../../../config/schema";\n');
      expect(upward(dir, ["base"])).toHaveLength(1);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
  it("renderers import only base/ (nothing from stacks, components, lab or chaos)", () => {
    expect(upward("renderers", ["base"])).toEqual([]);
  });
  it("base/ imports nothing of the project", () => {
    expect(upward("base", [])).toEqual([]);
  });
});

describe("chaos/ stands alone", () => {
  it("chaos imports only base/ and renderers/ (never lab/, components/ or config/)", () => {
    expect(upward("chaos", ["base", "renderers"])).toEqual([]);
  });
});

/** Functions (declarations, methods, arrows, constructors) longer than `max` lines, as "file:line name (n lines)". */
function longFunctions(file: string, text: string, max: number): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : ts.SyntaxKind[node.kind];
      if (end - start + 1 > max) out.push(`${file}:${start + 1} ${name} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe("function length", () => {
  it("the checker finds a long function (scripted case)", () => {
    const body = Array.from({ length: 151 }, (_, i) => `  const x${i} = ${i};`).join("\n");
    expect(longFunctions("x.ts", `function long() {\n${body}\n}\nconst short = () => 1;\n`, 150)).toEqual(["x.ts:1 long (153 lines)"]);
  });
  it("no function in the product code is longer than 150 lines", () => {
    const dirs = ["base", "chaos", "cli", "components", "config", "lab", "policy", "renderers", "scripts"];
    const files = [
      "index.ts",
      ...dirs.filter((d) => fs.existsSync(path.join(root, d))).flatMap((d) => fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith(".ts")).map((f) => `${d}/${f}`)),
    ];
    expect(files.length).toBeGreaterThan(30);
    const long = files.flatMap((f) => longFunctions(f, fs.readFileSync(path.join(root, f), "utf8"), 150));
    expect(long).toEqual([]);
  });
});
