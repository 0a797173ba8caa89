/**
 * The AWS graph is held to the committed URNs (test/stacks/fixtures/graph.<stack>.json): the
 * host-agnostic components (SwarmBootstrap, NfsExport, EdgeConfig) are composed into the AWS ones
 * without renaming, re-parenting, adding or dropping a resource of a deployed stack.
 */
import * as fs from "fs";
import { describe, expect, it, vi } from "vitest";
import { awsGraph, graphFile } from "./awsGraph";

describe.each(["dev", "prod"] as const)("the AWS graph of %s", (stack) => {
  it("has exactly the committed URNs (regenerate with `npx tsx test/stacks/awsGraph.ts <stack> --write` only for an intended change)", async () => {
    vi.resetModules();
    const committed = JSON.parse(fs.readFileSync(graphFile(stack), "utf8")) as string[];
    expect(await awsGraph(stack)).toEqual(committed);
  }, 60_000);
});
