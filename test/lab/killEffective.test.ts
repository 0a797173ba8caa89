/** When a lab kill took effect: the container's State.FinishedAt as `docker inspect` prints it. */
import { describe, expect, it } from "vitest";
import { parseDockerTime } from "../../chaos/engineApi";

describe("parseDockerTime", () => {
  it("reads RFC 3339 with nanoseconds to the millisecond", () => {
    expect(parseDockerTime("2026-12-01T09:21:03.123456789Z")).toBe(
      Date.UTC(2026, 11, 1, 9, 21, 3, 123),
    );
  });
  it("reads a short fraction, no fraction, and an offset", () => {
    expect(parseDockerTime("2026-12-01T09:21:03.5Z")).toBe(Date.UTC(2026, 11, 1, 9, 21, 3, 500));
    expect(parseDockerTime("2026-12-01T09:21:03Z")).toBe(Date.UTC(2026, 11, 1, 9, 21, 3));
    expect(parseDockerTime("2026-12-01T10:21:03.000000001+01:00")).toBe(
      Date.UTC(2026, 11, 1, 9, 21, 3),
    );
  });
  it("has no time for a container never stopped (Docker's zero time) or garbage", () => {
    expect(parseDockerTime("0001-01-01T00:00:00Z")).toBeUndefined();
    expect(parseDockerTime("")).toBeUndefined();
    expect(parseDockerTime("<no value>")).toBeUndefined();
  });
});
