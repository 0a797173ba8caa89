import { describe, expect, it } from "vitest";
import { Registration, runProgram } from "../mocks";

describe("the program without adminCidr", () => {
  it("stops with the command that sets it, before creating anything", async () => {
    const created: Registration[] = [];
    await expect(runProgram("prod", {}, created)).rejects.toThrow(
      /adminCidr.*pulumi config set adminCidr/,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(created).toEqual([]);
  });
});
