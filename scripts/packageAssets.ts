/**
 * The files the compiled library reads at run time, copied into dist/ beside the JavaScript that
 * reads them (`npm run build` runs this after tsc). A module that reads a file from disk names it
 * here; test/package/pack.test.ts installs the packed tarball and synthesizes a program with it, so
 * a file missing from this list fails there, not in a user's `pulumi up`.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");

/** Paths relative to the repository root, copied to the same path under dist/. */
export const RUNTIME_ASSETS: readonly string[] = [
  // components/wasService.ts sampleAppSource(): the sample application delivered as a swarm config.
  "app/server.js",
];

export function copyAssets(outDir = path.join(ROOT, "dist")): string[] {
  return RUNTIME_ASSETS.map((rel) => {
    const to = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), to);
    return to;
  });
}

if (require.main === module) {
  for (const f of copyAssets()) console.log(`copied ${path.relative(ROOT, f)}`);
}
