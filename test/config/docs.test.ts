import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  declaration,
  formatDefault,
  README_END,
  README_START,
  renderConfigBlock,
  renderReadmeTable,
  replaceConfigBlock,
  replaceReadmeSection,
} from "../../scripts/configDoc";
import { CONFIG_KEYS } from "../../config/schema";

const ROOT = path.join(__dirname, "..", "..");

interface Declared {
  type?: string;
  items?: { type?: string };
  description?: string;
  default?: unknown;
  secret?: boolean;
}

const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
  name?: string;
  runtime?: { name?: string; options?: { typescript?: boolean } };
  description?: string;
  stackConfigDir?: string;
  config?: Record<string, Declared>;
};

describe("Pulumi.yaml", () => {
  it("is the swarm-ha TypeScript project with its stacks in stacks/", () => {
    expect(project.name).toBe("swarm-ha");
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true } });
    expect(project.description).toMatch(/\S/);
    expect(project.stackConfigDir).toBe("stacks");
    expect(fs.existsSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"))).toBe(true);
  });

  it("declares exactly the keys of CONFIG_KEYS, in the same order, without the project prefix", () => {
    expect(Object.keys(project.config ?? {})).toEqual(CONFIG_KEYS.map((k) => k.key));
  });

  it.each(CONFIG_KEYS.map((k) => [k.key, k] as const))(
    "declares %s with its type, description and default",
    (key, k) => {
      const d = project.config?.[key];
      expect(d, `Pulumi.yaml does not declare ${key}`).toBeDefined();
      // A decimal ("number") key is declared a string: Pulumi's project schema has no number type.
      expect(d?.type).toBe(k.type === "number" ? "string" : k.type);
      expect(d?.description).toBe(k.description);
      if (k.type === "array") expect(d?.items).toEqual({ type: "string" });
      else expect(d).not.toHaveProperty("items");
      // A key without a default must have no default line: Pulumi then refuses a stack that omits it.
      if (k.default === undefined) expect(d).not.toHaveProperty("default");
      else expect(d?.default).toEqual(k.type === "number" ? String(k.default) : k.default);
      // Only a required secret is declared secret (see "never declares a secret key with a default").
      expect(d?.secret ?? false).toBe(k.secret === true && k.default === undefined);
      // Pulumi's project schema allows only these attributes on a declaration.
      expect(
        Object.keys(d ?? {}).every((a) =>
          ["type", "items", "description", "default", "secret"].includes(a),
        ),
      ).toBe(true);
    },
  );

  it("has defaults whose JSON type matches the declared type (Pulumi validates them)", () => {
    for (const [key, d] of Object.entries(project.config ?? {})) {
      if (d.default === undefined) continue;
      const ok =
        d.type === "string"
          ? typeof d.default === "string"
          : d.type === "integer"
            ? Number.isInteger(d.default)
            : d.type === "boolean"
              ? typeof d.default === "boolean"
              : Array.isArray(d.default) && d.default.every((x) => typeof x === "string");
      expect(ok, `${key}: default ${JSON.stringify(d.default)} is not a ${d.type}`).toBe(true);
    }
  });

  it("never declares a secret key with a default (the CLI would copy it in plain text, then refuse it)", () => {
    for (const [key, d] of Object.entries(project.config ?? {})) {
      expect(d.secret === true && d.default !== undefined, `${key} is secret with a default`).toBe(
        false,
      );
    }
    // sshPrivateKey stays optional: a default, no `secret`; config/config.ts refuses a plain value.
    expect(project.config?.sshPrivateKey).toMatchObject({ type: "string", default: "" });
    expect(project.config?.sshPrivateKey).not.toHaveProperty("secret");
  });

  it("is exactly what the generator writes (npm run docs:config)", () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
    expect(replaceConfigBlock(text, renderConfigBlock())).toBe(text);
  });
});

/** README table rows between the markers: key -> [type, default, description] cells. */
function readmeRows(readme: string): Map<string, string[]> {
  const section = readme.slice(readme.indexOf(README_START), readme.indexOf(README_END));
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const m = /^\| `([A-Za-z]+)` \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1], m[2].split(/ (?<!\\)\| /));
  }
  return rows;
}

const readmePath = path.join(ROOT, "README.md");
const readme = fs.existsSync(readmePath) ? fs.readFileSync(readmePath, "utf8") : undefined;
const hasMarkers =
  readme !== undefined && readme.includes(README_START) && readme.includes(README_END);

describe("README config reference", () => {
  it.skipIf(!hasMarkers)(
    "has one row per key with the schema's type, default and description",
    () => {
      const rows = readmeRows(readme!);
      expect([...rows.keys()]).toEqual(CONFIG_KEYS.map((k) => k.key));
      for (const k of CONFIG_KEYS) {
        const [type, def, description] = rows.get(k.key)!;
        expect(type).toBe(`${k.type}${k.secret ? " (secret)" : ""}`);
        expect(def).toBe(formatDefault(k).replace(/\|/g, "\\|"));
        expect(description.replace(/\\\|/g, "|")).toBe(k.description);
      }
    },
  );

  it.skipIf(!hasMarkers)("is exactly what the generator writes (npm run docs:config)", () => {
    expect(replaceReadmeSection(readme!, renderReadmeTable())).toBe(readme);
  });

  it("README.md, when it exists, carries the markers the generator fills", () => {
    if (readme !== undefined)
      expect(hasMarkers, `README.md needs ${README_START} and ${README_END}`).toBe(true);
  });
});

describe("scripts/configDoc.ts", () => {
  it("declares an optional secret key with its default and without `secret`, a required one `secret` without a default", () => {
    const optional = declaration({
      key: "k",
      type: "string",
      default: "",
      secret: true,
      description: "d",
    });
    expect(optional).toEqual({ type: "string", description: "d", default: "" });
    const required = declaration({ key: "k", type: "string", secret: true, description: "d" });
    expect(required).toEqual({ type: "string", description: "d", secret: true });
    expect(declaration({ key: "k", type: "integer", default: 3, description: "d" })).toEqual({
      type: "integer",
      description: "d",
      default: 3,
    });
  });

  it("replaces only the config block of a Pulumi.yaml and keeps what follows it", () => {
    const before =
      "name: x\nruntime: nodejs\nconfig:\n  old:\n    type: string\nbackend:\n  url: file://.\n";
    const after = replaceConfigBlock(
      before,
      renderConfigBlock([{ key: "k", type: "integer", default: 3, description: "d" }]),
    );
    expect(parse(after)).toEqual({
      name: "x",
      runtime: "nodejs",
      config: { k: { type: "integer", description: "d", default: 3 } },
      backend: { url: "file://." },
    });
  });

  it("appends a config block when there is none", () => {
    const after = replaceConfigBlock(
      "name: x\nruntime: nodejs\n",
      renderConfigBlock([{ key: "k", type: "string", description: "d" }]),
    );
    expect(parse(after)).toEqual({
      name: "x",
      runtime: "nodejs",
      config: { k: { type: "string", description: "d" } },
    });
  });

  it("--check fails on drift and names the file and the fix", () => {
    // Run against a copy of the repo's two files so the real ones are never touched.
    const tmp = fs.mkdtempSync(path.join(tmpdir(), "swarm-ha-configdoc-"));
    try {
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(tmp, "node_modules"), "dir");
      fs.mkdirSync(path.join(tmp, "scripts"));
      fs.mkdirSync(path.join(tmp, "config"));
      fs.copyFileSync(
        path.join(ROOT, "scripts", "configDoc.ts"),
        path.join(tmp, "scripts", "configDoc.ts"),
      );
      // The schema and every module it imports (config/*.ts, and base/ where it exists).
      for (const f of fs.readdirSync(path.join(ROOT, "config")).filter((f) => f.endsWith(".ts"))) {
        fs.copyFileSync(path.join(ROOT, "config", f), path.join(tmp, "config", f));
      }
      if (fs.existsSync(path.join(ROOT, "base")))
        fs.cpSync(path.join(ROOT, "base"), path.join(tmp, "base"), { recursive: true });
      const drifted = fs
        .readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")
        .replace("default: 10.42.0.0/16", "default: 10.9.0.0/16");
      fs.writeFileSync(path.join(tmp, "Pulumi.yaml"), drifted);
      const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
      const check = spawnSync(tsx, ["scripts/configDoc.ts", "--check"], {
        cwd: tmp,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(check.status).toBe(1);
      expect(check.stderr).toContain(
        "Pulumi.yaml is out of date with config/schema.ts; run `npm run docs:config`",
      );
      const write = spawnSync(tsx, ["scripts/configDoc.ts", "--write"], {
        cwd: tmp,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(write.status).toBe(0);
      // No README in the copy: only Pulumi.yaml is written, and it is back in line.
      expect(fs.existsSync(path.join(tmp, "README.md"))).toBe(false);
      expect(fs.readFileSync(path.join(tmp, "Pulumi.yaml"), "utf8")).toBe(
        fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"),
      );
      const recheck = spawnSync(tsx, ["scripts/configDoc.ts", "--check"], {
        cwd: tmp,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(recheck.status, recheck.stderr).toBe(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
