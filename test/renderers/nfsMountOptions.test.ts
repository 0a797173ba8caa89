/**
 * Issue 25: the log volume's NFS mount options per log store, as rendered into the service spec.
 * EFS gets AWS's recommended options verbatim; the instance store gets options under which a mount
 * (Docker's local driver calls mount(2) itself, so nfs(5)'s retry= does not apply) fails within a
 * bound instead of blocking a task's start for as long as the one server is down.
 */
import { describe, expect, it } from "vitest";
import {
  NFS_MOUNT_OPTIONS,
  nfsMountBoundSeconds,
  renderServiceSpec,
  WasServiceModel,
} from "../../renderers/serviceSpec";
import { LOG_STORES } from "../../config/schema";

const model: WasServiceModel = {
  name: "was",
  image: "node:22-alpine",
  replicas: 3,
  port: 8080,
  healthPath: "/healthz",
  env: {},
  logVolume: { kind: "nfs", server: "10.42.0.50", exportPath: "/srv/nfs/was-logs" },
  restartDelaySeconds: 0,
  managersRunTasks: true,
};

const optionsOf = (m: WasServiceModel) => {
  const o =
    renderServiceSpec(m).TaskTemplate.ContainerSpec.Mounts[0].VolumeOptions!.DriverConfig.Options;
  return {
    device: o.device,
    addr: /^addr=([^,]+),/.exec(o.o)![1],
    options: o.o.replace(/^addr=[^,]+,/, "").split(","),
  };
};

describe("NFS mount options of the log volume", () => {
  it("has options for exactly the log stores the config accepts", () => {
    expect(Object.keys(NFS_MOUNT_OPTIONS).sort()).toEqual([...LOG_STORES].sort());
  });

  it("mounts EFS by its DNS name with AWS's recommended options, verbatim", () => {
    const dns = "fs-0123456789abcdef0.efs.eu-west-1.amazonaws.com";
    const efs = optionsOf({
      ...model,
      logVolume: { kind: "nfs", server: dns, exportPath: "/", store: "efs" },
    });
    expect(efs.addr).toBe(dns);
    expect(efs.device).toBe(":/");
    // docs.aws.amazon.com/efs/latest/ug/mount-helper-setting.html, in its order.
    expect(efs.options).toEqual([
      "nfsvers=4.1",
      "rsize=1048576",
      "wsize=1048576",
      "hard",
      "timeo=600",
      "retrans=2",
      "noresvport",
    ]);
  });

  it("mounts the instance store soft, so a start while the server is down fails within 60 s", () => {
    const instance = optionsOf(model);
    expect(instance.addr).toBe("10.42.0.50");
    expect(instance.options).toContain("soft");
    expect(instance.options).not.toContain("hard");
    expect(nfsMountBoundSeconds(instance.options.join(","))).toBe(60);
    // bg and retry= are mount.nfs's (the kernel ignores them, Docker never runs mount.nfs): not relied on.
    expect(instance.options.filter((o) => o === "bg" || o.startsWith("retry="))).toEqual([]);
    // The default store is the instance store.
    expect(
      optionsOf({
        ...model,
        logVolume: {
          kind: "nfs",
          server: "10.42.0.50",
          exportPath: "/srv/nfs/was-logs",
          store: "instance",
        },
      }),
    ).toEqual(instance);
  });

  it("bounds a soft request by the kernel's major timeout over TCP, and a hard one not at all", () => {
    // timeo (tenths of a second) + retrans increments of timeo, at most 600 s.
    expect(nfsMountBoundSeconds("nfsvers=4.1,rw,soft,timeo=150,retrans=3")).toBe(15 + 3 * 15);
    expect(nfsMountBoundSeconds("soft,timeo=100,retrans=2")).toBe(30);
    expect(nfsMountBoundSeconds("soft")).toBe(180); // defaults: timeo=600, retrans=2
    expect(nfsMountBoundSeconds("soft,timeo=6000,retrans=5")).toBe(600);
    // The case that must fail the instance store: hard (the seed's options) never gives up.
    expect(nfsMountBoundSeconds("nfsvers=4.1,rw,hard,timeo=600,retrans=2")).toBe(Infinity);
    expect(nfsMountBoundSeconds(NFS_MOUNT_OPTIONS.efs)).toBe(Infinity);
    expect(nfsMountBoundSeconds("nfsvers=4.1")).toBe(Infinity); // hard is the default
  });
});
