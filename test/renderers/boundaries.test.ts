import * as fs from "node:fs";
import * as path from "node:path";
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
      fs.writeFileSync(path.join(scratch, "x.ts"), 'import { parseConfig } from "../../../stacks/schema";\n');
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
