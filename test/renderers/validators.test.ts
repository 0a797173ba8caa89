import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ALLOW_MISSING_ENV,
  assertValid,
  findBinary,
  keepalivedTest,
  requireValidator,
  SkipContext,
  VALIDATORS,
  ValidatorName,
  vrrpTestInterface,
} from "../validators";

class Skipped extends Error {}

function fakeContext(): SkipContext & { notes: Array<string | undefined> } {
  const notes: Array<string | undefined> = [];
  return {
    notes,
    skip(note?: string): never {
      notes.push(note);
      throw new Skipped(note);
    },
  };
}

const missing = (): undefined => undefined;

describe("validator lookup", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it.each(Object.keys(VALIDATORS) as ValidatorName[])(
    "a missing %s fails the test, naming the Debian package",
    (name) => {
      vi.stubEnv(ALLOW_MISSING_ENV, "");
      const ctx = fakeContext();
      expect(() => requireValidator(ctx, name, missing)).toThrow(
        `apt-get install -y ${VALIDATORS[name].debianPackage}`,
      );
      expect(ctx.notes).toEqual([]);
    },
  );

  it(`skips with the same reason, visibly, only when ${ALLOW_MISSING_ENV}=1`, () => {
    vi.stubEnv(ALLOW_MISSING_ENV, "1");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const ctx = fakeContext();
    expect(() => requireValidator(ctx, "nginx", missing)).toThrow(Skipped);
    expect(ctx.notes).toEqual([expect.stringContaining("apt-get install -y nginx-light")]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^SKIPPED: .*nginx-light/));
  });

  it("any other value of the variable still fails", () => {
    vi.stubEnv(ALLOW_MISSING_ENV, "true");
    expect(() => requireValidator(fakeContext(), "shellcheck", missing)).toThrow(
      /apt-get install -y shellcheck/,
    );
  });

  it("finds binaries on PATH and in sbin, and nothing that is not there", () => {
    expect(findBinary("sh")).toMatch(/\/sh$/);
    expect(findBinary("swarm-ha-no-such-validator")).toBeUndefined();
  });

  it("the validators CI installs are all present here (CI must not skip them)", (ctx) => {
    // In CI a missing one is already a failure above; this names them all at once.
    const absent = (Object.keys(VALIDATORS) as ValidatorName[]).filter(
      (n) => !findBinary(VALIDATORS[n].bin),
    );
    if (absent.length > 0 && process.env[ALLOW_MISSING_ENV] === "1")
      ctx.skip(`missing: ${absent.join(", ")}`);
    expect(absent.map((n) => `${n} (apt-get install -y ${VALIDATORS[n].debianPackage})`)).toEqual(
      [],
    );
  });
});

describe("keepalived -t (for the edge pair)", () => {
  it("accepts a minimal VRRP instance", (ctx) => {
    const nic = vrrpTestInterface();
    expect(
      nic,
      "no non-loopback multicast interface in /sys/class/net for keepalived -t",
    ).toBeDefined();
    const conf = [
      "global_defs {",
      "  router_id swarm_ha_edge_0",
      "}",
      "vrrp_instance edge {",
      "  state MASTER",
      `  interface ${nic}`,
      "  virtual_router_id 51",
      "  priority 150",
      "  advert_int 1",
      "  virtual_ipaddress {",
      "    10.42.100.10/32",
      "  }",
      "}",
      "",
    ].join("\n");
    assertValid("keepalived.conf", keepalivedTest(ctx, conf));
  });

  it("rejects a broken one (the validator is live)", (ctx) => {
    const result = keepalivedTest(ctx, "vrrp_instance edge {\n  state MASTER\n");
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/missing '}'/);
  });
});
