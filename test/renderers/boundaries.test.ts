import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { PRODUCT, tsFiles } from "../architecture/importGraph";

const root = path.join(__dirname, "..", "..");

// Import direction and cycles: test/architecture/imports.test.ts (the whole graph, recursively).

/** Functions (declarations, methods, arrows, constructors) longer than `max` lines, as "file:line name (n lines)". */
function longFunctions(file: string, text: string, max: number): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name =
        node.name && ts.isIdentifier(node.name) ? node.name.text : ts.SyntaxKind[node.kind];
      if (end - start + 1 > max)
        out.push(`${file}:${start + 1} ${name} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe("function length", () => {
  it("the checker finds a long function (scripted case)", () => {
    const body = Array.from({ length: 151 }, (_, i) => `  const x${i} = ${i};`).join("\n");
    expect(
      longFunctions("x.ts", `function long() {\n${body}\n}\nconst short = () => 1;\n`, 150),
    ).toEqual(["x.ts:1 long (153 lines)"]);
  });
  it("no function in the product code is longer than 150 lines", () => {
    // Every product file, in subfolders too (chaos/drill/, chaos/aws/, ...).
    const files = tsFiles(root, PRODUCT);
    expect(files.length).toBeGreaterThan(80);
    const long = files.flatMap((f) =>
      longFunctions(f, fs.readFileSync(path.join(root, f), "utf8"), 150),
    );
    expect(long).toEqual([]);
  });
});
