/** `npm run lab` flags: pure parsing, no engine (moved here from the e2e files so test:unit runs them). */
import { describe, expect, it } from "vitest";
import { LabError } from "../../lab/docker";
import { LabOptions, parseArgs } from "../../lab/settings";

const opts = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseArgs(argv, env) as LabOptions;

describe("lab flags", () => {
  it.each([
    [["--managers", "2"], "--managers"],
    [["--workers", "0"], "--workers"],
    [["--replicas", "4"], "--replicas"],
    [["--subnet", "10.0.0.0/16"], "--subnet"],
    [["--subnet", "172.28.5.1/24"], "--subnet"],
    [["--subnet", "172.28.5.0/00"], "--subnet"],
    [["--connections", "0"], "--connections"],
    [["--base-image", "Debian:Bookworm"], "--base-image"],
    [["--report-dir"], "--report-dir"],
    [["--bogus"], "--bogus"],
    [["up", "down"], "down"],
    [["launch"], "launch"],
  ])("rejects %j naming %s", (argv, flag) => {
    expect(() => parseArgs(argv, {})).toThrow(LabError);
    expect(() => parseArgs(argv, {})).toThrow(flag);
  });

  it("has the documented defaults", () => {
    expect(opts([])).toEqual({
      command: "up",
      managers: 1,
      workers: 3,
      replicas: undefined,
      edge: 2,
      baseImage: undefined,
      debian: 13,
      subnet: "172.28.5.0/24",
      drill: true,
      baseline: true,
      connections: 50,
      reportDir: "lab-report",
      keepOnFailure: false,
      privileged: undefined,
    });
  });

  it("builds on Debian 13 unless --debian 12 (or SWARM_HA_DEBIAN) asks for 12; refuses any other release", () => {
    expect(opts([]).debian).toBe(13);
    expect(opts(["--debian", "12"]).debian).toBe(12);
    expect(opts(["matrix", "--debian=12"]).debian).toBe(12);
    expect(opts([], { SWARM_HA_DEBIAN: "12" }).debian).toBe(12);
    expect(() => parseArgs(["--debian", "11"], {})).toThrow(
      /--debian: must be 12 or 13 \(got "11"\); 13 is the default/,
    );
    expect(() => parseArgs(["--debian", "trixie"], {})).toThrow(/--debian: must be 12 or 13/);
    expect(() => parseArgs([], { SWARM_HA_DEBIAN: "14" })).toThrow(
      /SWARM_HA_DEBIAN: must be 12 or 13/,
    );
  });

  it("reads a command, --flag value and --flag=value, and the base image from the environment", () => {
    const o = opts(
      ["drill", "--managers=3", "--workers", "4", "--no-baseline", "--subnet", "172.29.0.0/24"],
      { SWARM_HA_BASE_IMAGE: " debian:bookworm-slim " },
    );
    expect(o).toMatchObject({
      command: "drill",
      managers: 3,
      workers: 4,
      baseline: false,
      subnet: "172.29.0.0/24",
      baseImage: "debian:bookworm-slim",
    });
    expect(parseArgs(["--help"], {})).toBe("help");
  });

  it("checks replicas against the nodes before anything is created (the config's free-slot rule)", () => {
    expect(() => parseArgs(["--workers", "2", "--replicas", "3"], {})).toThrow(/^--replicas/);
    expect(opts(["--workers", "3", "--replicas", "3"]).replicas).toBe(3);
    // down and status touch no swarm: nothing to check.
    expect(opts(["down", "--workers", "2", "--replicas", "3"]).command).toBe("down");
  });

  it.each([["0"], ["3"], ["two"]])("rejects --edge %s naming the flag", (v) => {
    expect(() => parseArgs(["--edge", v], {})).toThrow(/^--edge: must be 1 or 2/);
  });

  it("defaults to the balancer pair; --edge 1 runs one balancer", () => {
    expect(opts([]).edge).toBe(2);
    expect(opts(["--edge", "1"]).edge).toBe(1);
  });
});
