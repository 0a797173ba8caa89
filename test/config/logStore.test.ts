/**
 * Issue 25: the log store's part of the surviveAzLoss check. EFS (a mount target in every cluster
 * subnet) is no zone dependency; the NFS instance (first zone) is one, refused with surviveAzLoss
 * unless acceptLogStoreZoneLoss says the stack accepts it.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, LOG_STORES, parseConfig, RawConfig } from "../../config/schema";

const ADMIN = { adminCidr: "198.51.100.7/32" } as const;
/** prod's shape: 3 managers (one per zone) that run no task, 5 workers 1/2/2, a balancer pair. */
const PROD_SHAPE = {
  managerCount: 3,
  managersRunTasks: false,
  availabilityZones: 3,
  workerCount: 5,
  edgeNodes: 2,
  wasReplicas: 3,
} as const;

function refusal(values: RawConfig): ConfigError {
  try {
    parseConfig({ ...ADMIN, ...values });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(values)}`);
}

describe("logStore and surviveAzLoss", () => {
  it("defaults to the instance store (the seed's NFS server) without the AZ promise", () => {
    expect(parseConfig({ ...ADMIN }).logStore).toEqual({ kind: "instance", acceptZoneLoss: false });
    expect(LOG_STORES).toEqual(["instance", "efs"]);
  });

  it("passes an AZ-surviving stack whose logs are on EFS (a mount target in every zone)", () => {
    const cfg = parseConfig({ ...ADMIN, ...PROD_SHAPE, surviveAzLoss: true, logStore: "efs" });
    expect(cfg.network.surviveAzLoss).toBe(true);
    expect(cfg.logStore.kind).toBe("efs");
  });

  it("refuses the instance store with surviveAzLoss, naming the key and two accepted fixes", () => {
    const err = refusal({ ...PROD_SHAPE, surviveAzLoss: true, logStore: "instance" });
    expect(err.key).toBe("logStore");
    expect(err.message).toMatch(
      /^config key "logStore": instance keeps the WAS logs on one server in the first availability zone/,
    );
    // Each fix the message names is itself accepted.
    expect(() =>
      parseConfig({ ...ADMIN, ...PROD_SHAPE, surviveAzLoss: true, logStore: "efs" }),
    ).not.toThrow();
    expect(() =>
      parseConfig({ ...ADMIN, ...PROD_SHAPE, surviveAzLoss: true, acceptLogStoreZoneLoss: true }),
    ).not.toThrow();
    expect(() => parseConfig({ ...ADMIN, ...PROD_SHAPE, surviveAzLoss: false })).not.toThrow();
  });

  it("accepts the instance store with surviveAzLoss only through the documented opt-in", () => {
    const cfg = parseConfig({
      ...ADMIN,
      ...PROD_SHAPE,
      surviveAzLoss: "true",
      acceptLogStoreZoneLoss: "true",
    });
    expect(cfg.logStore).toEqual({ kind: "instance", acceptZoneLoss: true });
  });

  it("the opt-in changes nothing for EFS, and the instance store without the AZ promise needs none", () => {
    expect(
      parseConfig({
        ...ADMIN,
        ...PROD_SHAPE,
        surviveAzLoss: true,
        logStore: "efs",
        acceptLogStoreZoneLoss: true,
      }).logStore.kind,
    ).toBe("efs");
    expect(parseConfig({ ...ADMIN, logStore: "instance" }).logStore.kind).toBe("instance");
  });

  it("reports the zone arithmetic before the log store (the first bad key wins)", () => {
    const err = refusal({
      ...PROD_SHAPE,
      workerCount: 4,
      surviveAzLoss: true,
      logStore: "instance",
    });
    expect(err.key).toBe("wasReplicas");
  });
});
