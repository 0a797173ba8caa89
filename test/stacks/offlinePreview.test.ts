/**
 * Issue 11 item 6: a CI preview of a deployed stack must not SSH to the manager (the runner is not in
 * adminCidr). With SWARM_HA_PREVIEW_OFFLINE=1 during a preview the Docker provider's host is unknown,
 * so the engine never configures it (pulumi/pulumi provider_plugin.go: "configuration ... not fully
 * known ... don't call into the underlying provider").
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../mocks";
import { ADMIN_CIDR } from "./describeStack";

afterAll(() => {
  delete process.env.SWARM_HA_PREVIEW_OFFLINE;
});

describe("PR preview without SSH to the manager", () => {
  it("preview with the variable set: the Docker provider gets no host (never dials)", async () => {
    process.env.SWARM_HA_PREVIEW_OFFLINE = "1";
    vi.resetModules();
    const s = await runProgram("dev", { adminCidr: ADMIN_CIDR }, [], { preview: true });
    const [provider] = s.byType("pulumi:providers:docker");
    expect(pulumi.isUnknown(provider.inputs.host)).toBe(true);
  }, 60_000);

  it("an update (not a preview) ignores the variable: the provider dials the manager", async () => {
    process.env.SWARM_HA_PREVIEW_OFFLINE = "1";
    vi.resetModules();
    const s = await runProgram("dev", { adminCidr: ADMIN_CIDR });
    const [provider] = s.byType("pulumi:providers:docker");
    expect(provider.inputs.host).toBe(`ssh://ubuntu@${s.outputs.managerAddress}`);
    expect(pulumi.isUnknown(provider.inputs.host)).toBe(false);
  }, 60_000);
});
