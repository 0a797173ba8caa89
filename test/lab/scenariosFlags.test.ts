/**
 * scripts/scenarios.ts's own flags (before `--`; the lab's after it), read through util.parseArgs:
 * what it accepts, and the one line it prints (exit 2) for anything else.
 */
import { describe, expect, it } from "vitest";
import { parse } from "../../scripts/scenarios";

const USE = "use --only a,b --connections N --out FILE [-- lab flags]";

describe("scripts/scenarios.ts flags", () => {
  it("defaults, its own flags, and everything after -- for the lab", () => {
    expect(parse([])).toEqual({
      only: ["rolling-update", "bad-update", "nfs-stop"],
      connections: 200,
      out: "lab-report/scenarios.json",
      lab: [],
    });
    expect(
      parse([
        "--only",
        "nfs-stop,bad-update",
        "--connections",
        "50",
        "--out",
        "x.json",
        "--",
        "--managers",
        "3",
        "--workers",
        "5",
      ]),
    ).toEqual({
      only: ["nfs-stop", "bad-update"],
      connections: 50,
      out: "x.json",
      lab: ["--managers", "3", "--workers", "5"],
    });
  });

  it.each([
    [["--bogus", "x"], `unknown or incomplete flag --bogus x; ${USE}`],
    [["--connections", "0"], `unknown or incomplete flag --connections 0; ${USE}`],
    [["--connections", "--out"], `unknown or incomplete flag --connections --out; ${USE}`],
    [["--only=nfs-stop"], `unknown or incomplete flag --only=nfs-stop; ${USE}`],
    [["--out"], `unknown or incomplete flag --out; ${USE}`],
    [["--out", "f", "stray"], `unknown or incomplete flag stray; ${USE}`],
    [["-ab", "c"], `unknown or incomplete flag -ab c; ${USE}`],
    [
      ["--only", "rolling-update,nope"],
      "--only: unknown scenario nope; choose from rolling-update, bad-update, nfs-stop",
    ],
  ])("%j: %s", (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });
});
