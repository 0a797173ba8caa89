/**
 * config/topology.ts is what the config check knows about the deployment before anything exists.
 * Each fact is held here to what the program really registers (prod under the strict mocks), to
 * the renderer that owns it, and to the policy pack, so the check cannot drift from them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  noPublicPortsConfigSchema,
  NoPublicPortsSettings,
} from "../../policy/noPublicClusterPorts";
import { withDefaults } from "../../policy/settings";
import { wasServiceConfigSchema, WasServiceSettings } from "../../policy/wasServiceResilient";
import { renderServiceSpec } from "../../renderers/serviceSpec";
import { chaosTargets, MIN_ADMIN_PREFIX, parseConfig, SwarmHaConfig } from "../../config/schema";
import {
  MIN_WAS_REPLICAS,
  nodesPerZone,
  reservedPorts,
  SERVICE_OWNED_ENV,
  swarmNodeName,
  swarmNodeZone,
} from "../../config/topology";
import { MockedStack, runProgram, stackConfig } from "../mocks";

const ADMIN = "192.0.2.10/32";
let prod: MockedStack;
let cfg: SwarmHaConfig;

beforeAll(async () => {
  prod = await runProgram("prod", { adminCidr: ADMIN });
  cfg = parseConfig({ ...stackConfig("prod"), adminCidr: ADMIN });
}, 60_000);

describe("node names and placement, as the program creates them", () => {
  it("every swarm node the program outputs is named by swarmNodeName, and is a valid chaosTarget", () => {
    const nodes = prod.outputs.nodes as Array<{ name: string; role: "manager" | "worker" }>;
    const expected = [
      ...[...Array(cfg.managers.count).keys()].map((i) => swarmNodeName("manager", i)),
      ...[...Array(cfg.workers.count).keys()].map((i) => swarmNodeName("worker", i)),
    ];
    expect(nodes.map((n) => n.name)).toEqual(expected);
    const targets = chaosTargets(cfg.managers.count, cfg.workers.count);
    for (const n of nodes) expect(targets).toContain(n.name);
  });

  /** The id of the cluster subnet of zone `z` (a route table association shares the name). */
  const subnetId = (z: number) =>
    prod.byType("aws:ec2/subnet:Subnet").find((r) => r.name === `net-cluster-${z}`)!.id;

  it("each node's instance sits in the subnet of the zone swarmNodeZone names", () => {
    const zones = cfg.network.availabilityZones;
    for (const [role, count] of [
      ["manager", cfg.managers.count],
      ["worker", cfg.workers.count],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const instance = prod.one(swarmNodeName(role, i));
        expect(instance.inputs.subnetId, `${swarmNodeName(role, i)}`).toBe(
          subnetId(swarmNodeZone(role, i, zones)),
        );
      }
    }
  });

  it("nodesPerZone counts what the program placed (prod: managers 1/1/1, workers 1/2/2)", () => {
    const per = nodesPerZone(cfg.managers.count, cfg.workers.count, cfg.network.availabilityZones);
    expect(per).toEqual({ managers: [1, 1, 1], workers: [1, 2, 2] });
    const placed = [0, 1, 2].map(
      (z) =>
        prod.resources.filter(
          (r) =>
            r.type === "aws:ec2/instance:Instance" &&
            /-worker-/.test(r.name) &&
            r.inputs.subnetId === subnetId(z),
        ).length,
    );
    expect(placed).toEqual(per.workers);
  });
});

describe("the ports wasPort may not take", () => {
  it("include every port a security group rule of the program opens (the WAS port aside)", () => {
    const rules = prod.byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(rules.length).toBeGreaterThan(0);
    const reserved = reservedPorts();
    for (const r of rules) {
      if (r.inputs.fromPort === undefined || r.inputs.fromPort === cfg.was.port) continue;
      for (let p = r.inputs.fromPort as number; p <= (r.inputs.toPort as number); p++) {
        expect(reserved.has(p), `${r.name} opens ${p}, which wasPort could take`).toBe(true);
      }
    }
  });

  it("include every port the policy pack keeps off the internet", () => {
    const settings = withDefaults<NoPublicPortsSettings>(noPublicPortsConfigSchema, {});
    for (const p of settings.ports) expect(reservedPorts().has(p), String(p)).toBe(true);
  });
});

describe("the config check and the policy pack agree", () => {
  const files = ["config.dev.json", "config.prod.json"].map(
    (f) =>
      JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", f), "utf8")) as Record<
        string,
        unknown
      >,
  );

  it("on the fewest WAS replicas", () => {
    expect(withDefaults<WasServiceSettings>(wasServiceConfigSchema, {}).minReplicas).toBe(
      MIN_WAS_REPLICAS,
    );
    for (const f of files) {
      const entry = f["was-service-resilient"] as { minReplicas?: number } | string;
      if (typeof entry === "object")
        expect(entry.minReplicas ?? MIN_WAS_REPLICAS).toBe(MIN_WAS_REPLICAS);
    }
  });

  it("on the widest admin range (the pack's minIpv4PrefixLength)", () => {
    expect(
      withDefaults<NoPublicPortsSettings>(noPublicPortsConfigSchema, {}).minIpv4PrefixLength,
    ).toBe(MIN_ADMIN_PREFIX);
  });
});

describe("the environment the service spec owns", () => {
  it("is exactly what renderServiceSpec sets before the user's wasEnv", () => {
    const spec = renderServiceSpec({
      name: "was",
      image: "node:22-alpine",
      replicas: 3,
      port: 8080,
      healthPath: "/healthz",
      env: {},
      logVolume: { kind: "bind", hostPath: "/srv/logs" },
      restartDelaySeconds: 1,
      managersRunTasks: true,
    });
    const keys = spec.TaskTemplate.ContainerSpec.Env.map((e) => e.split("=")[0]);
    expect([...keys].sort()).toEqual([...SERVICE_OWNED_ENV].sort());
  });
});
