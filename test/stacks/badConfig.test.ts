import { describe, expect, it } from "vitest";
import { Registration, runProgram } from "../mocks";

describe("the program with bad configuration", () => {
  it("fails before creating any resource, naming the key and the fix", async () => {
    const created: Registration[] = [];
    await expect(
      runProgram("dev", { adminCidr: "192.0.2.10/32", workerCount: "0" }, created),
    ).rejects.toThrow(/workerCount.*between 1 and 100 \(got 0\)/);
    await new Promise((r) => setTimeout(r, 200));
    expect(created).toEqual([]);
  });
});
