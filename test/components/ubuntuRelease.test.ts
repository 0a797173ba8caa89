/**
 * `ubuntuRelease` (24.04 default, 26.04): the program looks up Canonical's AMI of the release asked
 * (the mocks answer only Canonical's owner and the release's name pattern, base/ubuntu.ts), every
 * instance runs it, and the user data each instance gets passes `cloud-init schema` on both.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_UBUNTU_RELEASE,
  UBUNTU,
  UBUNTU_RELEASES,
  type UbuntuRelease,
} from "../../base/ubuntu";
import { ConfigError, parseConfig } from "../../config/schema";
import { MOCK_AMIS, MockedStack, runProgram } from "../mocks";
import { assertValid, cloudInitSchema } from "../validators";

const ADMIN = { adminCidr: "192.0.2.10/32" };

describe.each(UBUNTU_RELEASES)(
  "ubuntuRelease %s under mocks (prod with the instance log store: managers, workers, NFS, the balancer pair)",
  (release: UbuntuRelease) => {
    let s: MockedStack;
    beforeAll(async () => {
      vi.resetModules(); // the program runs once per module graph
      // prod keeps its logs on EFS; the instance store (with the opt-in) puts the NFS server back in
      // the graph, so every role that boots an instance is covered.
      const instanceStore = { logStore: "instance", acceptLogStoreZoneLoss: "true" };
      s = await runProgram(
        "prod",
        release === DEFAULT_UBUNTU_RELEASE
          ? { ...ADMIN, ...instanceStore }
          : { ...ADMIN, ...instanceStore, ubuntuRelease: release },
      );
    }, 120_000);

    it(`every instance runs Canonical's ${UBUNTU[release].codename} AMI`, () => {
      const instances = s.byType("aws:ec2/instance:Instance");
      expect(instances.length).toBeGreaterThan(5);
      expect(new Set(instances.map((i) => i.inputs.ami))).toEqual(new Set([MOCK_AMIS[release]]));
      expect(s.invokes).toContain("aws:ec2/getAmi:getAmi");
    });

    it("each role's user data passes cloud-init schema", (ctx) => {
      const byRole = new Map<string, string>();
      for (const i of s.byType("aws:ec2/instance:Instance"))
        byRole.set(i.inputs.tags?.["swarm-ha:role"], i.inputs.userData);
      expect([...byRole.keys()].sort()).toEqual(["edge", "manager", "nfs", "worker"]);
      for (const [role, userData] of byRole)
        assertValid(`${role} user data (Ubuntu ${release})`, cloudInitSchema(ctx, userData));
    });
  },
);

describe("ubuntuRelease in the schema", () => {
  it(`defaults to ${DEFAULT_UBUNTU_RELEASE} and accepts ${UBUNTU_RELEASES.join(" and ")}`, () => {
    expect(parseConfig({ ...ADMIN }).ubuntuRelease).toBe("24.04");
    expect(parseConfig({ ...ADMIN, ubuntuRelease: "26.04" }).ubuntuRelease).toBe("26.04");
  });

  it("refuses another release, naming the key and an accepted value", () => {
    let err: unknown;
    try {
      parseConfig({ ...ADMIN, ubuntuRelease: "22.04" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe("ubuntuRelease");
    expect((err as Error).message).toMatch(
      /must be 24\.04 or 26\.04 \(got "22\.04"\); set it with pulumi config set ubuntuRelease 24\.04/,
    );
  });

  it("names each release's AMI by Canonical's pattern (codename and version)", () => {
    expect(UBUNTU["24.04"].amiNamePattern).toBe(
      "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
    );
    expect(UBUNTU["26.04"].amiNamePattern).toBe(
      "ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-*",
    );
  });
});
