/**
 * What a first `pulumi up` needs from the repository itself, outside the program: the committed
 * lock resolves the providers the program is written against, and the README's first steps run in
 * an order the CLI accepts.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.join(__dirname, "..", "..");
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string }>;
};

describe("package-lock.json", () => {
  it("resolves @pulumi/command to 1.x (4.5.0 asked for a plugin pulumi-command never released)", () => {
    expect(lock.packages["node_modules/@pulumi/command"]?.version).toMatch(/^1\.\d+\.\d+$/);
  });

  it("carries @pulumi/random (the deployment id) and exactly one @pulumi/pulumi", () => {
    expect(lock.packages["node_modules/@pulumi/random"]?.version).toMatch(/^\d+\.\d+\.\d+$/);
    // A nested copy would register resources with another runtime, which the mocks never see.
    const copies = Object.keys(lock.packages).filter((k) =>
      k.endsWith("node_modules/@pulumi/pulumi"),
    );
    expect(copies).toEqual(["node_modules/@pulumi/pulumi"]);
  });
});

describe("README: deploy steps", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const deploy = readme.slice(readme.indexOf("## Deploy to AWS"), readme.indexOf("## Local lab"));

  it("creates the stack before selecting it (`stack select` of a new stack fails)", () => {
    const init = deploy.search(/^pulumi stack init /m);
    const select = deploy.search(/^pulumi stack select /m);
    expect(init).toBeGreaterThan(0);
    expect(select === -1 || select > init).toBe(true);
  });

  it("says what `pulumi destroy` does with the NFS log volume", () => {
    expect(deploy).toMatch(/pulumi destroy[^\n]*\n?[^\n]*(keeps|leaves)[^\n]*\n?[^\n]*log volume/);
    expect(deploy).toContain("nfsDataVolumeId");
  });
});
