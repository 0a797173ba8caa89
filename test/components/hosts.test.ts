/**
 * The host-agnostic components on machines that already exist (test/components/hostsProgram.ts):
 * the same steps the AWS program runs on its instances, dialled at the given addresses, and no
 * cloud call at all (the strict mocks refuse every invoke the program does not declare).
 */
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { SSH_DIAL } from "../../components/hostAccess";
import type { SwarmHost } from "../../lib";
import { MockedStack, runProgram } from "../mocks";

const REMOTE = "command:remote:Command";

describe("swarm-ha on machines you already have", () => {
  let s: MockedStack;
  // The program's hosts, read once it ran under the mocks (importing it earlier would run it unmocked).
  let HOSTS: SwarmHost[];
  beforeAll(async () => {
    s = await runProgram("hosts", {}, [], {
      program: {
        project: "onprem",
        stackFile: path.join(__dirname, "fixtures", "Pulumi.hosts.yaml"),
        load: () => import("./hostsProgram"),
      },
    });
    HOSTS = (await import("./hostsProgram")).HOSTS;
  }, 60_000);

  it("creates no cloud resource and makes no cloud call", () => {
    expect(s.resources.filter((r) => /^(aws|tls|random):/.test(r.type))).toEqual([]);
    expect(s.invokes).toEqual([]);
  });

  it("bootstraps the swarm over SSH at each host's address, advertising its private one", () => {
    const init = s.one("swarm-swarm-init");
    expect(init.inputs.connection).toMatchObject({
      host: "198.18.0.11",
      user: "admin",
      ...SSH_DIAL,
    });
    expect(init.inputs.create).toContain("10.1.0.11");
    for (const h of HOSTS.slice(1)) {
      const join = s.one(`swarm-join-${h.name}`);
      expect(join.inputs.connection.host).toBe(h.address);
      expect(join.inputs.create).toContain(h.privateAddress);
      expect(join.secretInputs).toEqual(expect.arrayContaining(["stdin", "connection"]));
      // Without a machine id, the private address is the machine's identity.
      expect(join.inputs.triggers[0]).toBe(h.privateAddress);
    }
    const keep = /^keep=" (.*) "$/m
      .exec(String(s.one("swarm-prune").inputs.create))?.[1]
      .split(" ");
    expect(keep?.sort()).toEqual(HOSTS.map((h) => h.privateAddress).sort());
    const labels = String(s.one("swarm-zone-labels").inputs.create);
    for (const h of HOSTS) expect(labels).toContain(`swarm-ha.zone=${String(h.zone as string)}`);
    expect(s.byType("swarm-ha:swarm:SwarmBootstrap")).toHaveLength(1);
  });

  it("configures the NFS export (packages, exports, NFSv4 only) and refuses to serve the root disk", () => {
    const ready = s.one("logs-ready");
    expect(ready.inputs.connection.host).toBe("198.18.0.30");
    const script = String(ready.inputs.create);
    expect(script).toContain("/srv/nfs/was-logs 10.1.0.0/24(rw,sync");
    expect(script).toContain("vers3=n");
    expect(script.indexOf("mountpoint -q '/srv/nfs'")).toBeLessThan(script.indexOf("/etc/exports"));
  });

  it("runs the WAS through the Docker provider on the first manager, after the swarm and the export", () => {
    const [provider] = s.byType("pulumi:providers:docker");
    expect(provider.inputs.host).toBe("ssh://admin@198.18.0.11");
    const [svc] = s.byType("docker:index/service:Service");
    expect(svc.dependsOn).toEqual(
      expect.arrayContaining(["swarm-swarm-init", "swarm-prune", "logs-ready"]),
    );
  });

  it("pushes nginx to both balancers and keepalived with the floating IP, no Elastic IP move", () => {
    const pushes = s.byType(REMOTE).filter((c) => c.name.startsWith("edge-"));
    expect(pushes.map((p) => p.name).sort()).toEqual([
      "edge-0-keepalived-conf",
      "edge-0-keepalived-notify",
      "edge-0-nginx-conf",
      "edge-1-keepalived-conf",
      "edge-1-keepalived-notify",
      "edge-1-nginx-conf",
    ]);
    for (const h of HOSTS)
      expect(String(s.one("edge-0-nginx-conf").inputs.stdin)).toContain(
        `${String(h.privateAddress as string)}:8080`,
      );
    expect(String(s.one("edge-1-keepalived-conf").inputs.stdin)).toContain("10.1.0.50/24 dev eth0");
    expect(String(s.one("edge-0-keepalived-notify").inputs.stdin)).not.toContain(
      "associate-address",
    );
    expect(s.one("edge-1-keepalived-conf").dependsOn).toContain("edge-0-keepalived-conf");
  });
});
