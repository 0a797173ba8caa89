/**
 * The import graph of the product code, read with TypeScript's own pre-processor (static imports,
 * `export … from`, `import type`, dynamic `import()` and `require()` alike), for the tests that hold
 * its shape: no cycle, no upward import (imports.test.ts), a self-contained policy pack
 * (test/policy/selfContained.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

export const ROOT = path.join(__dirname, "..", "..");

/** The product folders and root files the graph covers. */
export const PRODUCT = [
  "base",
  "renderers",
  "config",
  "components",
  "chaos",
  "lab",
  "cli",
  "scripts",
  "policy",
  "index.ts",
  "lib.ts",
] as const;

/** Every .ts file under `entries` (folders walked recursively, node_modules skipped), as root-relative POSIX paths. */
export function tsFiles(root: string, entries: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isDirectory()) {
      for (const name of fs.readdirSync(abs).sort())
        if (name !== "node_modules") walk(path.posix.join(rel, name));
    } else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
      out.push(rel);
    }
  };
  for (const e of entries) walk(e);
  return out;
}

/** The module specifiers a source text imports, in order. */
export function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** A relative specifier of `from` resolved to the root-relative file it names; undefined when no such .ts file exists. */
export function resolveRelative(root: string, from: string, spec: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
    const abs = path.join(root, candidate);
    if (candidate.endsWith(".ts") && fs.existsSync(abs) && fs.statSync(abs).isFile())
      return candidate;
  }
  return undefined;
}

export interface ImportEdge {
  readonly from: string;
  /** The resolved root-relative file, or the raw specifier when it is not a project file (a package, a builtin). */
  readonly to: string;
  readonly spec: string;
  readonly relative: boolean;
}

/** Every import of every file, relative ones resolved (an unresolvable relative import keeps its normalized path). */
export function importEdges(root: string, files: readonly string[]): ImportEdge[] {
  return files.flatMap((from) =>
    specifiers(fs.readFileSync(path.join(root, from), "utf8")).map((spec) => {
      const relative = spec.startsWith("./") || spec.startsWith("../");
      const to = relative
        ? (resolveRelative(root, from, spec) ??
          path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)))
        : spec;
      return { from, to, spec, relative };
    }),
  );
}

/**
 * The cycles of a graph, one line per set of files tied together by imports (a strongly connected
 * component, by Tarjan), shown as its shortest loop "a -> b -> a" plus the whole set when larger.
 */
export function cycles(edges: readonly { from: string; to: string }[]): string[] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      const selfLoop = (next.get(v) ?? []).includes(v);
      if (scc.length > 1 || selfLoop) found.push(describeCycle(scc.sort(), next));
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** One concrete loop through a strongly connected component, starting at its first member. */
function describeCycle(scc: readonly string[], next: ReadonlyMap<string, string[]>): string {
  const members = new Set(scc);
  const start = scc[0];
  // Breadth-first from start back to start inside the component: the shortest loop.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const loop = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = prev.get(u))
          loop.splice(1, 0, u);
        const shown = [...loop, start].join(" -> ");
        return loop.length === scc.length
          ? shown
          : `${shown} (one loop of ${scc.length} files tied together: ${scc.join(", ")})`;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return scc.join(" <-> ");
}
