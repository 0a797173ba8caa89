import { describe, expect, it } from "vitest";
import { roleTags, TAG_PROJECT, TAG_ROLE, TAG_STACK } from "../../base/tags";
import { REQUIRED_TAG_KEYS } from "../../policy/settings";

describe("tag keys", () => {
  it("are what the policy pack requires, from one definition", () => {
    expect([...REQUIRED_TAG_KEYS].sort()).toEqual([TAG_PROJECT, TAG_ROLE, TAG_STACK].sort());
  });
  it("roleTags sets all three keys and Name only when given", () => {
    const id = { project: "swarm-ha", stack: "dev" };
    expect(roleTags(id, "edge")).toEqual({
      [TAG_PROJECT]: "swarm-ha",
      [TAG_STACK]: "dev",
      [TAG_ROLE]: "edge",
    });
    expect(roleTags(id, "worker", "swarm-worker-0").Name).toBe("swarm-worker-0");
    expect(Object.keys(roleTags(id, "nfs"))).not.toContain("Name");
  });
});
