/**
 * The whole program (index.ts under the strict mocks) with dangerous values: each stops with a
 * pulumi.RunError naming the key and the fix, before a single resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { Registration, runProgram } from "../mocks";

const ADMIN = { adminCidr: "192.0.2.10/32" };

const CASES: Array<
  [label: string, stack: string, overrides: Record<string, string>, message: RegExp]
> = [
  [
    "a chaos target the stack does not have",
    "dev",
    { chaosTarget: "bogus" },
    /^config key "chaosTarget": "bogus" is not a target of this stack; use one of worker, manager, edge, swarm-manager-0, swarm-worker-0/,
  ],
  [
    "an NFS export of /etc",
    "dev",
    { nfsExportPath: "/etc" },
    /^config key "nfsExportPath": "\/etc" is \/etc, not a directory below \/srv\//,
  ],
  [
    "the swarm management port as wasPort",
    "dev",
    { wasPort: "2377" },
    /^config key "wasPort": 2377 is already used by the topology/,
  ],
  [
    "SSH from half the internet",
    "dev",
    { adminCidr: "0.0.0.0/1" },
    /^config key "adminCidr": 0\.0\.0\.0\/1 opens SSH/,
  ],
  [
    "prod with 4 workers, which cannot survive an AZ loss",
    "prod",
    { workerCount: "4" },
    /^config key "wasReplicas": 3 replicas do not fit after losing an availability zone/,
  ],
  [
    "a typo next to aws:profile",
    "dev",
    { "swarm-ha:workerCont": "3", "aws:profile": "ops" },
    /^config key "workerCont": is not a swarm-ha setting; did you mean workerCount\?/,
  ],
];

describe("the program refuses dangerous configuration before creating anything", () => {
  it.each(CASES)("%s", async (_label, stack, overrides, message) => {
    vi.resetModules();
    const created: Registration[] = [];
    const err = await runProgram(stack, { ...ADMIN, ...overrides }, created).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(pulumi.RunError);
    expect((err as Error).message).toMatch(message);
    await new Promise((r) => setTimeout(r, 200));
    expect(created).toEqual([]);
  });
});
