import { describe, expect, it } from "vitest";
import { evaluatePack } from "../../policy/evaluate";
import {
  checkRequiredTags,
  providerDefaultTags,
  RequiredTagsSettings,
  requiredTagsConfigSchema,
  TAGGABLE_TYPES,
} from "../../policy/requiredTags";
import { withDefaults } from "../../policy/settings";
import { instance, tags, TYPES } from "./fixtures";

const defaults = withDefaults<RequiredTagsSettings>(requiredTagsConfigSchema, {});

describe("required-tags", () => {
  it("requires the three swarm-ha tag keys the components set", () => {
    expect(defaults.keys).toEqual(["swarm-ha:project", "swarm-ha:stack", "swarm-ha:role"]);
  });

  it("passes a resource carrying all three", () => {
    expect(checkRequiredTags(instance(), defaults)).toEqual([]);
  });

  for (const key of ["swarm-ha:project", "swarm-ha:stack", "swarm-ha:role"]) {
    it(`reports a missing ${key}`, () => {
      const p = instance();
      delete p.tags[key];
      expect(checkRequiredTags(p, defaults)).toEqual([`missing required tags: ${key}`]);
    });
  }

  it("reports an empty tag value", () => {
    const p = instance();
    p.tags["swarm-ha:stack"] = " ";
    expect(checkRequiredTags(p, defaults)).toEqual(["missing required tags: swarm-ha:stack"]);
  });

  it("reports a resource with no tags at all, naming every key", () => {
    const p = instance();
    delete p.tags;
    expect(checkRequiredTags(p, defaults)).toEqual([
      "missing required tags: swarm-ha:project, swarm-ha:stack, swarm-ha:role",
    ]);
  });

  it("counts tags the provider adds through defaultTags", () => {
    const p = { ...instance(), tags: { "swarm-ha:role": "worker" } };
    const fromProvider = providerDefaultTags({
      defaultTags: { tags: { "swarm-ha:project": "swarm-ha", "swarm-ha:stack": "dev" } },
    });
    expect(checkRequiredTags(p, defaults, fromProvider)).toEqual([]);
  });

  it("applies to taggable AWS types only, and reads the provider's default tags", () => {
    const untagged = { cidrBlock: "10.42.0.0/20", vpcId: "vpc-1" };
    const found = evaluatePack([
      { type: TYPES.subnet, name: "subnet-0", props: untagged },
      {
        type: TYPES.routeTableAssociation,
        name: "assoc-0",
        props: { subnetId: "s", routeTableId: "r" },
      },
      {
        type: TYPES.subnet,
        name: "subnet-1",
        props: untagged,
        provider: {
          type: "pulumi:providers:aws",
          name: "aws",
          props: { defaultTags: { tags: tags("network") } },
        },
      },
    ]).filter((v) => v.policy === "required-tags");
    expect(found.map((v) => v.name)).toEqual(["subnet-0"]);
    expect(TAGGABLE_TYPES.has(TYPES.subnet)).toBe(true);
    expect(TAGGABLE_TYPES.has(TYPES.routeTableAssociation)).toBe(false);
  });

  it("takes the key list from the pack config", () => {
    const found = evaluatePack([{ type: TYPES.instance, name: "i", props: instance() }], {
      "required-tags": { keys: ["swarm-ha:project", "owner"] },
    }).filter((v) => v.policy === "required-tags");
    expect(found.map((v) => v.message)).toEqual(["missing required tags: owner"]);
  });
});
