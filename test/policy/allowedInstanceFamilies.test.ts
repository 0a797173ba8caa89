import { describe, expect, it } from "vitest";
import {
  checkInstanceFamily,
  InstanceFamilySettings,
  instanceFamilyConfigSchema,
} from "../../policy/allowedInstanceFamilies";
import { evaluatePack } from "../../policy/evaluate";
import { withDefaults } from "../../policy/settings";
import { DEFAULT_INSTANCE_FAMILIES } from "../../config/schema";
import { instance, launchTemplate, TYPES } from "./fixtures";

const defaults = withDefaults<InstanceFamilySettings>(instanceFamilyConfigSchema, {});

describe("allowed-instance-families", () => {
  it("defaults to the same families as the program's instanceFamilies config", () => {
    expect(defaults.allowedFamilies).toEqual([...DEFAULT_INSTANCE_FAMILIES]);
  });

  it("passes allowed families, matching the whole family name", () => {
    for (const t of ["t3.small", "t3a.nano", "m6i.large", "c7i.2xlarge"]) {
      expect(checkInstanceFamily({ ...instance(), instanceType: t }, defaults), t).toEqual([]);
    }
  });

  it("reports a family outside the list", () => {
    expect(checkInstanceFamily({ ...instance(), instanceType: "r5.large" }, defaults)).toEqual([
      'instanceType "r5.large" is not in an allowed family (t3, t3a, m6i, m7i, c6i, c7i)',
    ]);
  });

  it("reports a family that only shares a prefix with an allowed one", () => {
    expect(checkInstanceFamily({ ...instance(), instanceType: "t3g.small" }, defaults)).toEqual([
      'instanceType "t3g.small" is not in an allowed family (t3, t3a, m6i, m7i, c6i, c7i)',
    ]);
  });

  it("accepts a family a stack adds to the list", () => {
    const s = withDefaults<InstanceFamilySettings>(instanceFamilyConfigSchema, {
      allowedFamilies: ["r5"],
    });
    expect(checkInstanceFamily({ ...instance(), instanceType: "r5.large" }, s)).toEqual([]);
  });

  it("checks launch templates through the policy", () => {
    const found = evaluatePack([
      {
        type: TYPES.launchTemplate,
        name: "lt",
        props: { ...launchTemplate(), instanceType: "p4d.24xlarge" },
      },
    ]).filter((v) => v.policy === "allowed-instance-families");
    expect(found.map((v) => v.message)).toEqual([
      'instanceType "p4d.24xlarge" is not in an allowed family (t3, t3a, m6i, m7i, c6i, c7i)',
    ]);
  });
});
