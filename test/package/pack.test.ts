/**
 * The package a Pulumi program installs: `npm pack` (its prepack runs `npm run build`), the tarball
 * unpacked into a scratch copy of examples/existing-vpc as node_modules/swarm-ha, and that copy
 * synthesized under the strict mocks. The consumer's own index.ts is transpiled to JavaScript here;
 * nothing under node_modules is TypeScript, so nothing there needs compiling (no
 * TS_NODE_SKIP_IGNORE). The consumer's other dependencies are links to this repository's
 * node_modules (what `npm install` would fetch from the registry), so the test needs no network.
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockedStack, runProgram } from "../mocks";

const ROOT = path.join(__dirname, "..", "..");
const EXAMPLE = path.join(ROOT, "examples", "existing-vpc");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  main: string;
  types: string;
  exports: Record<string, unknown>;
  files: string[];
  dependencies: Record<string, string>;
};

let work: string;
let files: string[];
let consumer: string;
let stack: MockedStack;
let loaded: string[];

/** `npm pack` into `dir`: the tarball's path and the files it holds. */
async function pack(dir: string): Promise<{ tarball: string; files: string[] }> {
  // Not execFileSync: the build takes a while, and a blocked worker misses vitest's heartbeats.
  // --json prints the manifest last; the prepack build prints its own lines before it.
  const { stdout: out } = await promisify(execFile)(
    "npm",
    ["pack", "--json", "--pack-destination", dir],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 16 << 20 },
  );
  const manifest = JSON.parse(out.slice(out.indexOf("[\n"))) as [
    { filename: string; files: { path: string }[] },
  ];
  return {
    tarball: path.join(dir, manifest[0].filename),
    files: manifest[0].files.map((f) => f.path),
  };
}

/**
 * A scratch consumer: the example's files, the tarball unpacked where npm installs it, and a link
 * per other dependency (never a link to a whole node_modules or scope folder: npm, or a cleanup,
 * must not reach into this repository's install through it).
 */
function scratchConsumer(dir: string, tarball: string): string {
  const c = path.join(dir, "consumer");
  const nm = path.join(c, "node_modules");
  fs.mkdirSync(path.join(nm, "swarm-ha"), { recursive: true });
  for (const f of ["index.ts", "Pulumi.yaml", "Pulumi.dev.yaml"])
    fs.copyFileSync(path.join(EXAMPLE, f), path.join(c, f));
  execFileSync("tar", ["-xzf", tarball, "-C", path.join(nm, "swarm-ha"), "--strip-components=1"]);
  for (const dep of Object.keys(pkg.dependencies)) {
    fs.mkdirSync(path.dirname(path.join(nm, dep)), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules", dep), path.join(nm, dep), "dir");
  }
  const source = fs.readFileSync(path.join(c, "index.ts"), "utf8");
  const js = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  fs.writeFileSync(path.join(c, "index.js"), js.outputText);
  return c;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-pack-"));
  const packed = await pack(work);
  files = packed.files;
  consumer = scratchConsumer(work, packed.tarball);
  const req = createRequire(path.join(consumer, "index.js"));
  const before = new Set(Object.keys(req.cache));
  stack = await runProgram("dev", {}, [], {
    program: {
      project: "swarm-ha-existing-vpc",
      stackFile: path.join(consumer, "Pulumi.dev.yaml"),
      load: () => Promise.resolve(req("./index.js") as Record<string, unknown>),
    },
  });
  loaded = Object.keys(req.cache).filter((f) => !before.has(f));
}, 240_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("points main, types and exports at the compiled library, and ships dist/", () => {
    expect(pkg.exports["."]).toEqual({ types: `./${pkg.types}`, default: `./${pkg.main}` });
    expect([pkg.main, pkg.types]).toEqual(["dist/lib.js", "dist/lib.d.ts"]);
    expect(pkg.files).toContain("dist");
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "dist/lib.js",
        "dist/lib.d.ts",
        "dist/components/wasService.js",
        "dist/components/wasService.d.ts",
      ]),
    );
  });

  it("holds JavaScript and declarations only: no TypeScript source to compile, no tests", () => {
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(
      files.filter(
        (f) => !f.startsWith("dist/") && !["package.json", "README.md", "LICENSE"].includes(f),
      ),
    ).toEqual([]);
  });

  it("carries what the library reads at run time: the sample application", () => {
    expect(files).toContain("dist/app/server.js");
  });
});

describe("the packed library in a scratch copy of examples/existing-vpc", () => {
  it("resolves swarm-ha to the unpacked tarball's dist/lib.js", () => {
    const req = createRequire(path.join(consumer, "index.js"));
    expect(fs.realpathSync(req.resolve("swarm-ha"))).toBe(
      fs.realpathSync(path.join(consumer, "node_modules", "swarm-ha", "dist", "lib.js")),
    );
  });

  it("loads no TypeScript: every module it loaded from swarm-ha is JavaScript", () => {
    const fromPackage = loaded.filter((f) =>
      f.includes(`${path.sep}node_modules${path.sep}swarm-ha${path.sep}`),
    );
    expect(fromPackage.length).toBeGreaterThan(10);
    expect(fromPackage.filter((f) => !f.endsWith(".js"))).toEqual([]);
    expect(
      loaded.filter(
        (f) => f.startsWith(ROOT + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`),
      ),
    ).toEqual([]);
  });

  it("synthesizes under the mocks: the tier in the given VPC, no network of its own", () => {
    expect(stack.byType("swarm-ha:network:ExistingNetwork")).toHaveLength(1);
    expect(stack.byType("aws:ec2/vpc:Vpc")).toEqual([]);
    expect(
      stack
        .byType("aws:ec2/securityGroup:SecurityGroup")
        .map((g) => g.name)
        .sort(),
    ).toEqual(["net-cluster", "net-edge", "net-nfs"]);
    for (const t of [
      "swarm-ha:compute:SwarmCluster",
      "swarm-ha:storage:NfsLogServer",
      "swarm-ha:app:WasService",
      "swarm-ha:edge:EdgeTier",
    ]) {
      expect(stack.byType(t), t).toHaveLength(1);
    }
  });

  it("delivers the sample application it read from the package (dist/app/server.js)", () => {
    const [config] = stack.byType("docker:index/serviceConfig:ServiceConfig");
    const sent = Buffer.from(String(config.inputs.data), "base64").toString("utf8");
    expect(sent).toBe(fs.readFileSync(path.join(ROOT, "app", "server.js"), "utf8"));
  });
});
