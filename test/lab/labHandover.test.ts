/** The e2e suites' lab hand-over rule (test/e2e/labHandover.ts): when a lab may outlive its suite. */
import { describe, expect, it } from "vitest";
import type { RunnerTestSuite } from "vitest";
import { handOverTo, suitePassed } from "../e2e/labHandover";

const entries = [
  { name: "lab", shape: "default" },
  { name: "frozen", shape: "default" },
  { name: "managers", shape: "3 managers" },
];

type Fake = { state?: string; mode?: string };
const suite = (tests: Fake[], errors?: unknown[]): RunnerTestSuite =>
  ({
    result: errors ? { state: "fail", errors } : { state: "run" },
    tasks: tests.map((t) => ({
      mode: t.mode ?? "run",
      result: t.state ? { state: t.state } : undefined,
    })),
  }) as unknown as RunnerTestSuite;

describe("lab hand-over between e2e suites", () => {
  it("never hands on the lab of a suite with a failed test", () => {
    expect(handOverTo(entries, 0, false)).toBeUndefined();
  });

  it("never hands on to a suite of another layout, nor past the last suite", () => {
    expect(handOverTo(entries, 1, true)).toBeUndefined();
    expect(handOverTo(entries, 2, true)).toBeUndefined();
  });

  it("hands on a passing suite's lab to the next suite of the same layout", () => {
    expect(handOverTo(entries, 0, true)).toEqual(entries[1]);
  });

  it("a suite passed only if every test that ran passed and no hook failed", () => {
    expect(suitePassed(suite([{ state: "pass" }, { state: "fail" }]))).toBe(false);
    expect(suitePassed(suite([{ state: "pass" }], [new Error("beforeAll timed out")]))).toBe(false);
    expect(suitePassed(suite([{}]))).toBe(false); // ran but has no result: not a pass
    expect(suitePassed(suite([{ state: "pass" }, { mode: "skip", state: "skip" }]))).toBe(true);
  });
});
