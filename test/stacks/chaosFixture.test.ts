/** The chaos CLI's fixture is what the program exports: regenerate it when this fails. */
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { parseStackOutputs } from "../../chaos/aws/aws";
import { FIXTURE_FILE, programOutputsJson } from "./chaosFixture";

describe("chaos outputs fixture", () => {
  it("matches the program's outputs (run `npx tsx test/stacks/chaosFixture.ts --write` after a change)", async () => {
    const generated = await programOutputsJson();
    expect(fs.readFileSync(FIXTURE_FILE, "utf8")).toBe(generated);
    const o = parseStackOutputs(JSON.parse(generated));
    expect(o.nodes.map((n) => n.name)).toContain("swarm-worker-0");
    expect(o.edgeEipAllocationId).toMatch(/^eipalloc-/);
  }, 60_000);
});
