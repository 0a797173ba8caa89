import { describe, expect, it } from "vitest";
import { evaluatePack } from "../../policy/evaluate";
import { withDefaults } from "../../policy/settings";
import {
  checkWasServiceResilient,
  WasServiceSettings,
  wasServiceConfigSchema,
} from "../../policy/wasServiceResilient";
import { TYPES, wasService } from "./fixtures";

const defaults = withDefaults<WasServiceSettings>(wasServiceConfigSchema, {});
const check = (p: Record<string, any>) => checkWasServiceResilient(p, defaults);

describe("was-service-resilient", () => {
  it("defaults to 2 replicas and restart on any or on-failure", () => {
    expect(defaults).toEqual({ minReplicas: 2, restartConditions: ["any", "on-failure"] });
  });

  it("passes the WAS as the program declares it", () => {
    expect(check(wasService())).toEqual([]);
  });

  it("passes restart on-failure", () => {
    const p = wasService();
    p.taskSpec.restartPolicy.condition = "on-failure";
    expect(check(p)).toEqual([]);
  });

  it("reports a single replica", () => {
    const p = wasService();
    p.mode.replicated.replicas = 1;
    expect(check(p)).toEqual(["mode.replicated.replicas must be at least 2, got 1"]);
  });

  it("reports a service without a mode (Docker runs one replica)", () => {
    const p = wasService();
    delete p.mode;
    expect(check(p)).toEqual([
      "mode.replicated.replicas must be at least 2, got unset (defaults to 1)",
    ]);
  });

  it("reports global mode", () => {
    const p = wasService();
    p.mode = { global: true };
    expect(check(p)).toEqual([
      "mode.global is set; the WAS must run in replicated mode with at least 2 replicas",
    ]);
  });

  it("reports restart condition none", () => {
    const p = wasService();
    p.taskSpec.restartPolicy.condition = "none";
    expect(check(p)).toEqual([
      'taskSpec.restartPolicy.condition must be one of any, on-failure, got "none"',
    ]);
  });

  it("reports a missing restart policy", () => {
    const p = wasService();
    delete p.taskSpec.restartPolicy;
    expect(check(p)).toEqual([
      "taskSpec.restartPolicy.condition must be one of any, on-failure, got unset",
    ]);
  });

  it("reports a missing healthcheck", () => {
    const p = wasService();
    delete p.taskSpec.containerSpec.healthcheck;
    expect(check(p)).toEqual([
      "taskSpec.containerSpec.healthcheck.tests must define a health command, got unset",
    ]);
  });

  it("reports a healthcheck disabled with NONE", () => {
    const p = wasService();
    p.taskSpec.containerSpec.healthcheck.tests = ["NONE"];
    expect(check(p)).toEqual([
      'taskSpec.containerSpec.healthcheck.tests must define a health command, got ["NONE"]',
    ]);
  });

  it("reports an update that pauses instead of rolling back", () => {
    const p = wasService();
    p.updateConfig.failureAction = "pause";
    expect(check(p)).toEqual(['updateConfig.failureAction must be "rollback", got "pause"']);
  });

  it("reports a missing update config", () => {
    const p = wasService();
    delete p.updateConfig;
    expect(check(p)).toEqual(['updateConfig.failureAction must be "rollback", got unset']);
  });

  it("takes minReplicas from the pack config", () => {
    const p = wasService();
    p.mode.replicated.replicas = 2;
    const run = (cfg = {}) =>
      evaluatePack([{ type: TYPES.service, name: "was", props: p }], cfg).filter(
        (v) => v.policy === "was-service-resilient",
      );
    expect(run()).toEqual([]);
    expect(run({ "was-service-resilient": { minReplicas: 3 } }).map((v) => v.message)).toEqual([
      "mode.replicated.replicas must be at least 3, got 2",
    ]);
  });
});
