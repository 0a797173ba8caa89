import { describe, expect, it } from "vitest";
import { checkAutoRecovery } from "../../policy/autoRecovery";
import { evaluatePack } from "../../policy/evaluate";
import { instance, launchTemplate, TYPES } from "./fixtures";

describe("ec2-auto-recovery", () => {
  it("reports an instance that turned automatic recovery off", () => {
    const p = instance();
    p.maintenanceOptions.autoRecovery = "disabled";
    expect(checkAutoRecovery(p)).toEqual([
      'maintenanceOptions.autoRecovery must be "default", got "disabled"',
    ]);
  });

  it("reports an instance that does not say (unset counts as a violation)", () => {
    const p = instance();
    delete p.maintenanceOptions;
    expect(checkAutoRecovery(p)).toEqual([
      'maintenanceOptions.autoRecovery must be "default", got unset',
    ]);
  });

  it("passes an instance and a launch template with recovery on", () => {
    expect(checkAutoRecovery(instance())).toEqual([]);
    expect(checkAutoRecovery(launchTemplate())).toEqual([]);
  });

  it("routes instances and launch templates to the check through the policy", () => {
    const off = { ...instance(), maintenanceOptions: { autoRecovery: "disabled" } };
    const found = evaluatePack([
      { type: TYPES.instance, name: "off", props: off },
      {
        type: TYPES.launchTemplate,
        name: "lt",
        props: { ...launchTemplate(), maintenanceOptions: undefined },
      },
      { type: TYPES.instance, name: "on", props: instance() },
    ]).filter((v) => v.policy === "ec2-auto-recovery");
    expect(found.map((v) => v.name)).toEqual(["off", "lt"]);
  });
});
