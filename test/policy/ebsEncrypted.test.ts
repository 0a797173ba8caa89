import { describe, expect, it } from "vitest";
import {
  checkInstanceVolumesEncrypted,
  checkLaunchTemplateVolumesEncrypted,
  checkVolumeEncrypted,
} from "../../policy/ebsEncrypted";
import { evaluatePack } from "../../policy/evaluate";
import { instance, launchTemplate, TYPES, volume } from "./fixtures";

describe("ebs-encrypted", () => {
  it("passes an instance whose root and attached volumes are encrypted", () => {
    expect(checkInstanceVolumesEncrypted(instance())).toEqual([]);
  });

  it("reports an unencrypted root volume", () => {
    const p = instance();
    p.rootBlockDevice.encrypted = false;
    expect(checkInstanceVolumesEncrypted(p)).toEqual([
      "rootBlockDevice.encrypted must be true, got false",
    ]);
  });

  it("reports a root volume left to the account default", () => {
    const p = instance();
    delete p.rootBlockDevice;
    expect(checkInstanceVolumesEncrypted(p)).toEqual([
      "rootBlockDevice.encrypted must be true, got unset",
    ]);
  });

  it("reports the one attached volume that is not encrypted", () => {
    const p = instance();
    delete p.ebsBlockDevices[1].encrypted;
    expect(checkInstanceVolumesEncrypted(p)).toEqual([
      'ebsBlockDevices[1] ("/dev/sdg").encrypted must be true, got unset',
    ]);
  });

  it("passes an encrypted standalone volume and reports an unencrypted one", () => {
    expect(checkVolumeEncrypted(volume())).toEqual([]);
    expect(checkVolumeEncrypted({ ...volume(), encrypted: false })).toEqual([
      "encrypted must be true, got false",
    ]);
  });

  it("reports a standalone volume without the flag", () => {
    const p = volume();
    delete p.encrypted;
    expect(checkVolumeEncrypted(p)).toEqual(["encrypted must be true, got unset"]);
  });

  it("checks launch-template mappings, where the flag is a string", () => {
    expect(checkLaunchTemplateVolumesEncrypted(launchTemplate())).toEqual([]);
    const p = launchTemplate();
    p.blockDeviceMappings[0].ebs.encrypted = "false";
    expect(checkLaunchTemplateVolumesEncrypted(p)).toEqual([
      'blockDeviceMappings[0].ebs.encrypted must be "true", got "false"',
    ]);
  });

  it("routes each type to its check through the policy", () => {
    const found = evaluatePack([
      { type: TYPES.volume, name: "logs", props: { ...volume(), encrypted: false } },
      { type: TYPES.instance, name: "ok", props: instance() },
    ]).filter((v) => v.policy === "ebs-encrypted");
    expect(found.map((v) => [v.name, v.message])).toEqual([
      ["logs", "encrypted must be true, got false"],
    ]);
  });
});
