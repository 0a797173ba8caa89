/** Issue 11 item 6: the service spec reads back as written, and the log volume follows its server. */
import { describe, expect, it } from "vitest";
import { failureRatio, nfsVolumeName } from "../../components/wasService";

describe("WAS service inputs the Docker provider reads back unchanged", () => {
  it("writes MaxFailureRatio as the provider reads it back (FormatFloat 'f', 1): 0 is 0.0, never \"0\"", () => {
    expect(failureRatio(0)).toBe("0.0");
    expect(failureRatio(0.1)).toBe("0.1");
    expect(failureRatio(1)).toBe("1.0");
    expect(String(0)).not.toBe(failureRatio(0)); // what the program used to send
  });

  it("refuses a ratio the provider would round (a diff on every pulumi up) or out of range", () => {
    expect(() => failureRatio(0.25)).toThrow(/steps of 0.1/);
    expect(() => failureRatio(-0.1)).toThrow(/0..1/);
    expect(() => failureRatio(1.5)).toThrow(/0..1/);
  });

  it("names the NFS volume from server address and export, so a replaced server gets a fresh volume", () => {
    const opts = (addr: string, device = ":/srv/nfs/was-logs") => ({
      type: "nfs",
      o: `addr=${addr},nfsvers=4.1,rw`,
      device,
    });
    const a = nfsVolumeName("was-logs", opts("10.42.0.10"));
    expect(a).toMatch(/^was-logs-[0-9a-f]{10}$/);
    expect(nfsVolumeName("was-logs", opts("10.42.0.10"))).toBe(a);
    expect(nfsVolumeName("was-logs", opts("10.42.0.99"))).not.toBe(a);
    expect(nfsVolumeName("was-logs", opts("10.42.0.10", ":/srv/nfs/other"))).not.toBe(a);
    expect(() => nfsVolumeName("was-logs", { type: "nfs", device: ":/x" })).toThrow(/addr=/);
  });
});
