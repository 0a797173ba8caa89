import { describe, expect, it } from "vitest";
import { checkEfsEncrypted } from "../../policy/efsEncrypted";
import { evaluatePack } from "../../policy/evaluate";
import { efsFileSystem, TYPES } from "./fixtures";

describe("efs-encrypted", () => {
  it("passes an encrypted file system", () => {
    expect(checkEfsEncrypted(efsFileSystem())).toEqual([]);
  });

  it("reports a file system created unencrypted", () => {
    expect(checkEfsEncrypted({ ...efsFileSystem(), encrypted: false })).toEqual([
      "encrypted must be true (EFS encryption at rest is chosen at creation), got false",
    ]);
  });

  it("reports a file system left to the account default", () => {
    const p = efsFileSystem();
    delete p.encrypted;
    expect(checkEfsEncrypted(p)).toEqual([
      "encrypted must be true (EFS encryption at rest is chosen at creation), got unset",
    ]);
  });

  it("routes file systems to the check through the policy, and tags them as required", () => {
    const found = evaluatePack([
      { type: TYPES.efsFileSystem, name: "plain", props: { ...efsFileSystem(), encrypted: false } },
      { type: TYPES.efsFileSystem, name: "ok", props: efsFileSystem() },
      { type: TYPES.efsFileSystem, name: "untagged", props: { encrypted: true } },
    ]);
    expect(found.map((v) => [v.policy, v.name])).toEqual([
      ["required-tags", "untagged"],
      ["efs-encrypted", "plain"],
    ]);
  });
});
