/**
 * The shape of the import graph of the product code: no cycle anywhere, and every import between
 * folders points down the layers below (a file may import its own group and any lower layer,
 * never a higher one nor a sibling of its own layer). The policy pack is an island: it imports
 * nothing of the program (test/policy/selfContained.test.ts) and nothing imports it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cycles, importEdges, PRODUCT, ROOT, tsFiles } from "./importGraph";

/**
 * Lowest first. Each entry is one layer; each string in it one group (a folder prefix or a file).
 * chaos/ is layered inside too: the adapter contract, the load generator, the drill's phases, its
 * report, the AWS adapters, the failure matrix's scenarios, then the CLI's argument handling.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["base/"],
  ["renderers/"],
  ["config/"],
  ["components/"],
  ["chaos/types.ts"],
  ["chaos/engineApi.ts"],
  ["chaos/outputsSchema.ts"],
  ["chaos/load/"],
  ["chaos/drill/"],
  ["chaos/report/"],
  ["chaos/aws/"],
  ["chaos/scenarios/"],
  ["chaos/cli.ts"],
  ["lab/"],
  // The composition roots: the program, the library's entry, the CLIs and the scripts.
  ["index.ts", "lib.ts", "cli/", "scripts/"],
];
const ISLAND = "policy/";

/** The group of a file (longest matching prefix) and its layer; undefined when no layer names it. */
function placeOf(
  file: string,
  layers: readonly (readonly string[])[],
): { group: string; layer: number } | undefined {
  let best: { group: string; layer: number } | undefined;
  layers.forEach((groups, layer) => {
    for (const g of groups) {
      const hit = g.endsWith("/") ? file.startsWith(g) : file === g;
      if (hit && (!best || g.length > best.group.length)) best = { group: g, layer };
    }
  });
  return best;
}

/** Every violation of the layering among `files`: unplaced files, upward or sideways imports, the island crossed. */
function layerViolations(
  root: string,
  files: readonly string[],
  layers: readonly (readonly string[])[],
  island?: string,
): string[] {
  const out: string[] = [];
  const inIsland = (f: string) => island !== undefined && f.startsWith(island);
  for (const f of files)
    if (!inIsland(f) && !placeOf(f, layers))
      out.push(`${f}: in no layer (add its folder to LAYERS)`);
  for (const e of importEdges(root, files).filter((e) => e.relative)) {
    if (inIsland(e.from) || inIsland(e.to)) {
      if (inIsland(e.from) !== inIsland(e.to))
        out.push(`${e.from} -> ${e.to}: crosses the border of ${island}`);
      continue;
    }
    const from = placeOf(e.from, layers);
    const to = placeOf(e.to, layers);
    if (!from || !to || from.group === to.group) continue;
    if (to.layer > from.layer)
      out.push(`${e.from} -> ${e.to}: upward (${from.group} is below ${to.group})`);
    else if (to.layer === from.layer)
      out.push(`${e.from} -> ${e.to}: sideways (${from.group} and ${to.group} share a layer)`);
  }
  return out;
}

function productCycles(root: string, files: readonly string[]): string[] {
  return cycles(importEdges(root, files).filter((e) => e.relative));
}

describe("the checkers fail on what they guard (scripted cases)", () => {
  const scratch = (files: Record<string, string>, run: (dir: string) => void) => {
    const abs = fs.mkdtempSync(path.join(ROOT, "test", "architecture", ".graph-"));
    try {
      for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(abs, name)), { recursive: true });
        fs.writeFileSync(path.join(abs, name), text);
      }
      run(path.relative(ROOT, abs).split(path.sep).join("/"));
    } finally {
      fs.rmSync(abs, { recursive: true, force: true });
    }
  };

  it("finds a cycle through type-only imports and re-exports, and names its files in order", () => {
    scratch(
      {
        "a.ts": 'import type { B } from "./b";\nexport type A = B;\n',
        "b.ts": 'export { c } from "./c";\nexport type B = number;\n',
        "c.ts": 'import type { A } from "./a";\nexport const c: A = 1;\n',
        "d.ts": 'import { c } from "./c";\nexport const d = c;\n',
      },
      (dir) => {
        expect(productCycles(ROOT, tsFiles(ROOT, [dir]))).toEqual([
          `${dir}/a.ts -> ${dir}/b.ts -> ${dir}/c.ts -> ${dir}/a.ts`,
        ]);
      },
    );
  });

  it("finds an upward import, a sideways one, an unplaced file and an import into the island", () => {
    scratch(
      {
        "low/x.ts": 'import { y } from "../high/y";\nexport const x = y;\n',
        "high/y.ts": "export const y = 1;\n",
        "side/z.ts":
          'import { y } from "../high/y";\nimport { p } from "../island/p";\nexport const z = y + p;\n',
        "island/p.ts": "export const p = 1;\n",
        "stray/s.ts": "export const s = 1;\n",
      },
      (dir) => {
        const layers = [[`${dir}/low/`], [`${dir}/high/`, `${dir}/side/`]];
        expect(layerViolations(ROOT, tsFiles(ROOT, [dir]), layers, `${dir}/island/`)).toEqual([
          `${dir}/stray/s.ts: in no layer (add its folder to LAYERS)`,
          `${dir}/low/x.ts -> ${dir}/high/y.ts: upward (${dir}/low/ is below ${dir}/high/)`,
          `${dir}/side/z.ts -> ${dir}/high/y.ts: sideways (${dir}/side/ and ${dir}/high/ share a layer)`,
          `${dir}/side/z.ts -> ${dir}/island/p.ts: crosses the border of ${dir}/island/`,
        ]);
      },
    );
  });
});

describe("the product's import graph", () => {
  const files = tsFiles(ROOT, PRODUCT);

  it("covers every product folder", () => {
    expect(files.length).toBeGreaterThan(80);
    for (const entry of PRODUCT)
      expect(
        files.some((f) => f === entry || f.startsWith(`${entry}/`)),
        entry,
      ).toBe(true);
  });

  it("has no cycle", () => {
    expect(productCycles(ROOT, files)).toEqual([]);
  });

  it("imports only down the layers (base < renderers < config < components < chaos < lab < the composition roots)", () => {
    expect(layerViolations(ROOT, files, LAYERS, ISLAND)).toEqual([]);
  });

  it("chaos/ stands alone: from outside itself it imports only base/ and renderers/ (never config/, components/ or lab/)", () => {
    const leaves = importEdges(
      ROOT,
      files.filter((f) => f.startsWith("chaos/")),
    ).filter(
      (e) =>
        e.relative &&
        !e.to.startsWith("chaos/") &&
        !e.to.startsWith("base/") &&
        !e.to.startsWith("renderers/"),
    );
    expect(leaves.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("every relative import names a product file (nothing reaches into test/ or out of the tree)", () => {
    const product = new Set(files);
    const stray = importEdges(ROOT, files).filter((e) => e.relative && !product.has(e.to));
    expect(stray.map((e) => `${e.from} -> ${e.spec}`)).toEqual([]);
  });
});
