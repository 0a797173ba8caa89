/** The README stays a user's page: short, with exactly the two set-up commands the project promises. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const README = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

describe("README.md", () => {
  it("is at most 350 lines (the rest lives in docs/)", () => {
    expect(README.trimEnd().split("\n").length).toBeLessThanOrEqual(350);
  });

  it("names the two set-up commands: npm ci && npm run lab, and npm test", () => {
    expect(README).toMatch(/^npm ci && npm run lab\b/m);
    expect(README).toMatch(/^npm test\b/m);
  });
});
