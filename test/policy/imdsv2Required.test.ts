import { describe, expect, it } from "vitest";
import { evaluatePack } from "../../policy/evaluate";
import { checkImdsV2, ImdsSettings, imdsConfigSchema } from "../../policy/imdsv2Required";
import { withDefaults } from "../../policy/settings";
import { instance, launchTemplate, TYPES } from "./fixtures";

const defaults = withDefaults<ImdsSettings>(imdsConfigSchema, {});

describe("ec2-imdsv2-required", () => {
  it("defaults the hop limit to 1", () => {
    expect(defaults).toEqual({ maxHopLimit: 1 });
  });

  it("passes an instance with IMDSv2 and hop limit 1", () => {
    expect(checkImdsV2(instance(), defaults)).toEqual([]);
  });

  it("passes when the metadata endpoint is disabled altogether", () => {
    const p = instance();
    p.metadataOptions = { httpEndpoint: "disabled" };
    expect(checkImdsV2(p, defaults)).toEqual([]);
  });

  it("reports httpTokens optional", () => {
    const p = instance();
    p.metadataOptions.httpTokens = "optional";
    expect(checkImdsV2(p, defaults)).toEqual([
      'metadataOptions.httpTokens must be "required" (IMDSv2), got "optional"',
    ]);
  });

  it("reports a hop limit above the configured maximum", () => {
    const p = instance();
    p.metadataOptions.httpPutResponseHopLimit = 2;
    expect(checkImdsV2(p, defaults)).toEqual([
      "metadataOptions.httpPutResponseHopLimit must be at most 1, got 2",
    ]);
  });

  it("reports an unset hop limit (the AMI default may be 2)", () => {
    const p = instance();
    delete p.metadataOptions.httpPutResponseHopLimit;
    expect(checkImdsV2(p, defaults)).toEqual([
      expect.stringMatching(
        /^metadataOptions\.httpPutResponseHopLimit must be set to at most 1, got unset/,
      ),
    ]);
  });

  it("reports missing metadataOptions as both token and hop-limit violations", () => {
    const p = instance();
    delete p.metadataOptions;
    const out = checkImdsV2(p, defaults);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe('metadataOptions.httpTokens must be "required" (IMDSv2), got unset');
  });

  it("accepts hop limit 2 when a stack configures maxHopLimit 2", () => {
    const p = instance();
    p.metadataOptions.httpPutResponseHopLimit = 2;
    expect(checkImdsV2(p, withDefaults(imdsConfigSchema, { maxHopLimit: 2 }))).toEqual([]);
  });

  it("checks launch templates through the policy, with config from the pack config", () => {
    const lt = launchTemplate();
    lt.metadataOptions.httpTokens = "optional";
    const found = evaluatePack([{ type: TYPES.launchTemplate, name: "lt", props: lt }]).filter(
      (v) => v.policy === "ec2-imdsv2-required",
    );
    expect(found.map((v) => v.message)).toEqual([
      'metadataOptions.httpTokens must be "required" (IMDSv2), got "optional"',
    ]);

    const hop3 = {
      ...instance(),
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 },
    };
    const withConfig = evaluatePack([{ type: TYPES.instance, name: "i", props: hop3 }], {
      "ec2-imdsv2-required": { maxHopLimit: 2 },
    }).filter((v) => v.policy === "ec2-imdsv2-required");
    expect(withConfig.map((v) => v.message)).toEqual([
      "metadataOptions.httpPutResponseHopLimit must be at most 2, got 3",
    ]);
  });
});
