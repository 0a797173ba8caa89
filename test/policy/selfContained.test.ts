/**
 * The policy pack as published: `pulumi policy publish` packs policy/ and the pack is loaded from
 * that folder alone, so no file in it may import anything outside it (a relative import that
 * leaves policy/, or a package its own package.json does not declare). The few program constants
 * it needs are its own copies, held equal to the program's here; its description is written once.
 */
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import * as programIpv4 from "../../base/ipv4";
import * as programTags from "../../base/tags";
import * as packCidr from "../../policy/cidr";
import { REQUIRED_TAG_KEYS, TAG_PROJECT, TAG_ROLE, TAG_STACK } from "../../policy/settings";
import { importEdges, ROOT, tsFiles } from "../architecture/importGraph";

/** Imports of the pack's files that a pack loaded from `dir` alone could not resolve. */
function outsideImports(root: string, dir: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"));
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }));
  const packageOf = (spec: string) =>
    spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
  return importEdges(root, tsFiles(root, [dir]))
    .filter((e) =>
      e.relative
        ? !e.to.startsWith(`${dir}/`)
        : !(
            e.spec.startsWith("node:") ||
            builtinModules.includes(e.spec) ||
            declared.has(packageOf(e.spec))
          ),
    )
    .map((e) => `${e.from} imports ${e.spec}`);
}

describe("policy/ imports nothing outside itself", () => {
  it("the checker finds an import that leaves the pack and an undeclared package (scripted case)", () => {
    const scratch = fs.mkdtempSync(path.join(ROOT, "test", "policy", ".pack-"));
    try {
      const dir = path.relative(ROOT, scratch).split(path.sep).join("/");
      fs.writeFileSync(
        path.join(scratch, "package.json"),
        JSON.stringify({ dependencies: { "@pulumi/policy": "1.21.0" } }),
      );
      fs.writeFileSync(
        path.join(scratch, "x.ts"),
        [
          'import { TAG_ROLE } from "../../../base/tags";',
          'import { parse } from "yaml";',
          'import { PolicyPack } from "@pulumi/policy";',
          'import * as fs from "node:fs";',
          'import * as os from "os";',
          'import { y } from "./y";',
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(scratch, "y.ts"), "export const y = 1;\n");
      expect(outsideImports(ROOT, dir)).toEqual([
        `${dir}/x.ts imports ../../../base/tags`,
        `${dir}/x.ts imports yaml`,
      ]);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("every file of policy/ imports only policy/, node builtins and the pack's own dependencies", () => {
    expect(tsFiles(ROOT, ["policy"]).length).toBeGreaterThan(10);
    expect(outsideImports(ROOT, "policy")).toEqual([]);
  });
});

describe("the pack's copies of program constants", () => {
  it("tag keys: the ones the components write (base/tags.ts)", () => {
    expect([TAG_PROJECT, TAG_STACK, TAG_ROLE]).toEqual([
      programTags.TAG_PROJECT,
      programTags.TAG_STACK,
      programTags.TAG_ROLE,
    ]);
    expect([...REQUIRED_TAG_KEYS]).toEqual([
      programTags.TAG_PROJECT,
      programTags.TAG_STACK,
      programTags.TAG_ROLE,
    ]);
  });

  it("CIDR reading: the program's (base/ipv4.ts, default options), on good and bad input", () => {
    const samples = [
      "10.42.0.0/16",
      "0.0.0.0/0",
      "0.0.0.0/1",
      " 198.51.100.7/32 ",
      "010.0.0.1/8",
      "255.255.255.255/32",
      "300.1.2.3/8",
      "10.0.0.0/33",
      "10.0.0.0/00",
      "10.0.0.0",
      "10.0.0/8",
      "::/0",
      "2001:db8::/48",
      "",
      "a.b.c.d/8",
    ];
    for (const s of samples) expect(packCidr.parseCidr(s), s).toEqual(programIpv4.parseCidr(s));
    for (const s of ["10.1.2.3", " 10.1.2.3", "256.0.0.1", "1.2.3"])
      expect(packCidr.parseIpv4(s), s).toEqual(programIpv4.parseIpv4(s));
    for (let p = 0; p <= 32; p++) expect(packCidr.netmask(p), `/${p}`).toBe(programIpv4.netmask(p));
  });
});

describe("the pack's description, written once", () => {
  it("is PulumiPolicy.yaml's: the PolicyPack sets none (it would override the file) and package.json none", () => {
    const yaml = parse(fs.readFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), "utf8"));
    expect(String(yaml.description).length).toBeGreaterThan(40);
    const index = fs.readFileSync(path.join(ROOT, "policy", "index.ts"), "utf8");
    const packArgs = index.slice(index.indexOf("new PolicyPack("));
    expect(packArgs).not.toMatch(/^\s*description\s*:/m);
    expect(
      JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "package.json"), "utf8")).description,
    ).toBeUndefined();
  });
});
