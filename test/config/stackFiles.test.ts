import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_KEYS, parseConfig, SwarmHaConfig, wasSlots } from "../../config/schema";

const STACKS = path.join(__dirname, "..", "..", "stacks");
/** adminCidr is required with no default, and stack files must not hardcode one: tests supply it. */
const ADMIN_CIDR = "198.51.100.7/32";

/** A stack file's config, namespaced keys as written, values as `pulumi config` hands them over (strings). */
function stackFile(stack: string): Record<string, string> {
  const doc = parse(fs.readFileSync(path.join(STACKS, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(doc.config ?? {}).map(([k, v]) => [
      k,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
}

/** The swarm-ha keys without their namespace, plus the admin CIDR a developer would set. */
function stackConfig(stack: string): SwarmHaConfig {
  const own = Object.entries(stackFile(stack))
    .filter(([k]) => k.startsWith("swarm-ha:"))
    .map(([k, v]) => [k.slice("swarm-ha:".length), v]);
  return parseConfig({ adminCidr: ADMIN_CIDR, ...Object.fromEntries(own) });
}

describe.each(["dev", "prod"])("stacks/Pulumi.%s.yaml", (stack) => {
  const file = stackFile(stack);

  it("parses and validates", () => {
    expect(() => stackConfig(stack)).not.toThrow();
  });

  it("namespaces every key and sets only declared swarm-ha keys, aws:region among the rest", () => {
    const known = new Set(CONFIG_KEYS.map((k) => `swarm-ha:${k.key}`));
    for (const key of Object.keys(file)) {
      expect(key).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
      if (key.startsWith("swarm-ha:"))
        expect(known.has(key), `${key} is not in CONFIG_KEYS`).toBe(true);
      else expect(["aws:region"]).toContain(key);
    }
    expect(file["aws:region"]).toMatch(/^[a-z]{2}(-[a-z]+)+-\d$/);
  });

  it("does not hardcode an admin address or a secret (each operator sets those)", () => {
    expect(file).not.toHaveProperty("swarm-ha:adminCidr");
    expect(file).not.toHaveProperty("swarm-ha:sshPrivateKey");
    expect(() =>
      parseConfig(
        Object.fromEntries(
          Object.entries(file)
            .filter(([k]) => k.startsWith("swarm-ha:"))
            .map(([k, v]) => [k.slice(9), v]),
        ),
      ),
    ).toThrow(/config key "adminCidr": is required/);
  });

  it("says whether it survives an AZ loss, and the check holds it to that", () => {
    const cfg = stackConfig(stack);
    expect(cfg.network.surviveAzLoss).toBe(stack === "prod");
    // prod keeps its logs in every zone (EFS); dev keeps the NFS instance the seed asks for.
    expect(cfg.logStore).toEqual({
      kind: stack === "prod" ? "efs" : "instance",
      acceptZoneLoss: false,
    });
  });

  it("can restore every replica after losing one node", () => {
    const cfg = stackConfig(stack);
    expect(wasSlots(cfg.managers.count, cfg.workers.count, cfg.managers.runTasks)).toBeGreaterThan(
      cfg.was.replicas,
    );
  });
});

describe("dev and prod differ where real teams differ", () => {
  const dev = stackConfig("dev");
  const prod = stackConfig("prod");

  it("dev: one manager, small instances, chaos drill on against a worker, one balancer, 2 AZs", () => {
    expect(dev.managers.count).toBe(1);
    expect(dev.workers.count).toBe(3);
    expect(dev.managers.instanceType).toBe("t3.small");
    expect(dev.workers.instanceType).toMatch(/^t3\.(micro|small)$/);
    expect(dev.chaos).toMatchObject({ enabled: true, target: "worker" });
    expect(dev.edge.nodes).toBe(1);
    expect(dev.network.availabilityZones).toBe(2);
  });

  it("prod: three managers over three AZs, larger instances, chaos off, a balancer pair, encrypted overlay", () => {
    expect(prod.managers.count).toBe(3);
    expect(prod.network.availabilityZones).toBe(3);
    expect(prod.workers.instanceType).toBe("m6i.large");
    expect(prod.chaos.enabled).toBe(false);
    expect(prod.edge.nodes).toBe(2);
    expect(prod.network.encryptOverlay).toBe(true);
    // prod keeps the default heartbeat: the restore timings are the same on AWS and in the lab.
    expect(prod.swarm.dispatcherHeartbeatSeconds).toBe(0.6);
  });

  it("prod survives the loss of any one AZ: 5 workers, and 4 would not do", () => {
    expect(prod.workers.count).toBe(5);
    const own = Object.fromEntries(
      Object.entries(stackFile("prod"))
        .filter(([k]) => k.startsWith("swarm-ha:"))
        .map(([k, v]) => [k.slice(9), v]),
    );
    expect(() => parseConfig({ adminCidr: ADMIN_CIDR, ...own, workerCount: "4" })).toThrow(
      /config key "wasReplicas": 3 replicas do not fit after losing an availability zone: eligible nodes per zone are 1\/2\/1/,
    );
    const text = fs.readFileSync(path.join(STACKS, "Pulumi.prod.yaml"), "utf8");
    expect(text).toMatch(/Cost of surviving an AZ: one more m6i\.large worker/);
  });

  it("use non-overlapping VPC ranges", () => {
    expect(prod.network.vpcCidr).not.toBe(dev.network.vpcCidr);
  });

  it("explain each prod difference in a comment", () => {
    const text = fs.readFileSync(path.join(STACKS, "Pulumi.prod.yaml"), "utf8");
    const lines = text.split("\n");
    // Every key that differs from dev is preceded by a comment within the lines above it.
    const devFile = stackFile("dev");
    const prodFile = stackFile("prod");
    for (const [key, value] of Object.entries(prodFile)) {
      if (devFile[key] === value) continue;
      const at = lines.findIndex((l) => l.trim().startsWith(`${key}:`));
      const above = lines.slice(Math.max(0, at - 6), at);
      expect(
        above.some((l) => l.trim().startsWith("#")),
        `${key} has no explaining comment`,
      ).toBe(true);
    }
  });
});
