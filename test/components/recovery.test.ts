/**
 * EC2 automatic recovery over the synthesized graph: a worker type outside the simplified-recovery
 * families (m6id: instance store) gets a recover alarm on its system status check; the others rely
 * on the instance's maintenance options alone.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { hasSimplifiedRecovery, SIMPLIFIED_RECOVERY_FAMILIES } from "../../components/machine";
import { CONFIG_KEYS } from "../../config/schema";
import { MockedStack, runProgram } from "../mocks";

describe("simplified automatic recovery families", () => {
  it("covers every family the config allows by default, so dev and prod need no alarm", () => {
    const families = CONFIG_KEYS.find((k) => k.key === "instanceFamilies")!.default as string[];
    for (const f of families) expect(SIMPLIFIED_RECOVERY_FAMILIES, f).toContain(f);
  });

  it("leaves out instance-store and unknown families (scripted case)", () => {
    expect(hasSimplifiedRecovery("t3.small")).toBe(true);
    expect(hasSimplifiedRecovery("m7i-flex.large")).toBe(true);
    expect(hasSimplifiedRecovery("m6id.large")).toBe(false);
    expect(hasSimplifiedRecovery("i4i.large")).toBe(false);
    expect(hasSimplifiedRecovery("t3")).toBe(false);
  });
});

describe("recover alarm on a type without simplified recovery", () => {
  let s: MockedStack;
  beforeAll(async () => {
    s = await runProgram("dev", {
      instanceFamilies: JSON.stringify(["t3", "m6id"]),
      workerInstanceType: "m6id.large",
      adminCidr: "192.0.2.10/32",
    });
  }, 60_000);

  it("keeps maintenanceOptions.autoRecovery default on every instance", () => {
    const instances = s.byType("aws:ec2/instance:Instance");
    expect(instances.length).toBeGreaterThan(3);
    for (const i of instances)
      expect(i.inputs.maintenanceOptions, i.name).toEqual({ autoRecovery: "default" });
  });

  it("adds one recover alarm per worker and none for the t3 machines", () => {
    const alarms = s.byType("aws:cloudwatch/metricAlarm:MetricAlarm");
    const workers = s
      .byType("aws:ec2/instance:Instance")
      .filter((i) => i.inputs.instanceType === "m6id.large");
    expect(workers.length).toBeGreaterThan(0);
    expect(alarms.map((a) => a.name).sort()).toEqual(
      workers.map((w) => `${w.name}-recover`).sort(),
    );
    for (const w of workers) {
      const alarm = s.one(`${w.name}-recover`);
      expect(alarm.inputs).toMatchObject({
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed_System",
        dimensions: { InstanceId: w.id },
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        alarmActions: ["arn:aws:automate:eu-west-1:ec2:recover"],
      });
      expect(alarm.parent).toBe(w.parent);
      expect(alarm.inputs.tags["swarm-ha:role"]).toBe("worker");
    }
  });
});
