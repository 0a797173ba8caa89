/** The lab's address plan and the specs and configs it builds from the shared renderers. */
import { describe, expect, it } from "vitest";
import { isNetworkAddress, parseCidr, parseIpv4 } from "../../base/ipv4";
import { dindFlags, keepalivedConfFor, nginxConfFor, wasSpec } from "../../lab/lab";
import { labConfig, layout, SERVICE } from "../../lab/settings";
import { CONFIG_KEYS } from "../../config/schema";

const inRange = (ip: string, cidr: string) => {
  const c = parseCidr(cidr)!;
  const mask = c.prefix === 0 ? 0 : (~0 << (32 - c.prefix)) >>> 0;
  return (parseIpv4(ip)! & mask) >>> 0 === c.base;
};

describe("lab layout", () => {
  const l = layout({ subnet: "172.28.5.0/24", managers: 3, workers: 4, edge: 2 });

  it("gives every container a distinct address on the subnet", () => {
    const ips = [
      l.gateway,
      l.nfsIp,
      l.entryIp,
      ...l.edges.map((e) => e.ip),
      ...l.nodes.map((n) => n.ip),
    ];
    expect(new Set(ips).size).toBe(ips.length);
    for (const ip of ips) expect(inRange(ip, l.subnet), ip).toBe(true);
  });

  it("puts only swarm nodes in the NFS client range (balancers and the VIP are outsiders)", () => {
    expect(isNetworkAddress(parseCidr(l.nodeRange)!)).toBe(true);
    for (const n of l.nodes) expect(inRange(n.ip, l.nodeRange), n.name).toBe(true);
    for (const ip of [l.nginxIp, l.entryIp, l.nfsIp, l.gateway, ...l.edges.map((e) => e.ip)]) {
      expect(inRange(ip, l.nodeRange), ip).toBe(false);
    }
  });

  it("names managers then workers, one primary and one standby balancer, a VIP only for a pair", () => {
    expect(l.nodes.map((n) => n.name)).toEqual([
      "swarm-ha-manager-1",
      "swarm-ha-manager-2",
      "swarm-ha-manager-3",
      "swarm-ha-worker-1",
      "swarm-ha-worker-2",
      "swarm-ha-worker-3",
      "swarm-ha-worker-4",
    ]);
    expect(l.edges.map((e) => e.role)).toEqual(["primary", "standby"]);
    expect(l.vip).toBe(`${l.entryIp}/24`);
    const single = layout({ subnet: "172.28.5.0/24", managers: 1, workers: 3, edge: 1 });
    expect(single.vip).toBeUndefined();
    expect(single.entryIp).toBe(single.edges[0].ip);
  });

  it("keeps the largest allowed worker count inside the node range", () => {
    const big = layout({ subnet: "10.9.8.0/24", managers: 3, workers: 100 });
    for (const n of big.nodes) expect(inRange(n.ip, big.nodeRange), n.ip).toBe(true);
  });
});

describe("what the lab builds from the shared renderers", () => {
  const cfg = labConfig({ managers: 1, workers: 3, replicas: undefined });
  const l = layout({ subnet: "172.28.5.0/24", managers: 1, workers: 3, edge: 2 });

  it("runs the WAS with the schema's defaults, bind-mounting the export instead of an NFS volume", () => {
    const spec = wasSpec(cfg, "swarm-ha/was:abc");
    const def = (key: string) => CONFIG_KEYS.find((k) => k.key === key)!.default;
    expect(spec.Name).toBe(SERVICE);
    expect(spec.Mode.Replicated.Replicas).toBe(def("wasReplicas"));
    expect(JSON.stringify(spec.TaskTemplate.ContainerSpec.Mounts)).toContain('"Type":"bind"');
    expect(JSON.stringify(spec)).not.toContain('"Type":"volume"');
    expect(wasSpec(cfg, "x", 5).TaskTemplate.RestartPolicy.Delay).toBe(5_000_000_000);
  });

  it("sends nginx to every node that may run a task (managers only when they do)", () => {
    expect(
      nginxConfFor(cfg, l).match(/^\s*server 172\.28\.5\.\d+:\d+ max_fails=1 /gm),
    ).toHaveLength(4); // primaries; each node is listed again as a backup
    const noManagers = labConfig(
      { managers: 1, workers: 3, replicas: undefined },
      { managersRunTasks: false, wasReplicas: 2 },
    );
    expect(nginxConfFor(noManagers, l)).not.toContain(`${l.nodes[0].ip}:`);
  });

  it("makes each balancer of the pair the other's only unicast peer", () => {
    const [a, b] = l.edges;
    const conf = keepalivedConfFor(a, l);
    expect(conf).toContain(`unicast_src_ip ${a.ip}`);
    expect(conf).toMatch(new RegExp(`unicast_peer \\{\\s*${b.ip.replace(/\./g, "\\.")}\\s*\\}`));
    expect(conf).toContain(l.vip!);
  });

  it("gives node containers the rights a nested engine needs on cgroup v1 and v2", () => {
    expect(dindFlags("2")).toContain("--privileged");
    const v1 = dindFlags("1");
    expect(v1).not.toContain("--privileged");
    expect(v1).toContain("/sys/fs/cgroup:/sys/fs/cgroup:rw");
    expect(dindFlags("1", true)).toContain("--privileged");
  });
});
