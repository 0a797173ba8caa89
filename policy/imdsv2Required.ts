import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { instanceValidations } from "./ingressValidations";
import { Props, asRecord, shown } from "./settings";

export interface ImdsSettings {
  /** Highest allowed `httpPutResponseHopLimit`; 1 keeps tokens away from containers on the node. */
  readonly maxHopLimit: number;
}

export const imdsConfigSchema: PolicyConfigSchema = {
  properties: {
    maxHopLimit: {
      type: "integer",
      minimum: 1,
      maximum: 64,
      default: 1,
      description: "Highest allowed metadataOptions.httpPutResponseHopLimit.",
    },
  },
};

/**
 * IMDSv2 with a hop limit: without session tokens any SSRF in the WAS reaches the instance role's
 * credentials, and a hop limit above 1 lets every container on the node fetch them. Works for
 * aws.ec2.Instance and aws.ec2.LaunchTemplate, which share the `metadataOptions` shape.
 */
export function checkImdsV2(props: Props, settings: ImdsSettings): string[] {
  const md = asRecord(props.metadataOptions);
  if (md?.httpEndpoint === "disabled") return []; // no metadata service at all: nothing to steal
  const out: string[] = [];
  if (md?.httpTokens !== "required") {
    out.push(
      `metadataOptions.httpTokens must be "required" (IMDSv2), got ${shown(md?.httpTokens)}`,
    );
  }
  const hop = md?.httpPutResponseHopLimit;
  if (typeof hop !== "number") {
    out.push(
      `metadataOptions.httpPutResponseHopLimit must be set to at most ${settings.maxHopLimit}, got unset ` +
        `(the AMI default may be 2, which lets containers reach the instance credentials)`,
    );
  } else if (hop > settings.maxHopLimit) {
    out.push(
      `metadataOptions.httpPutResponseHopLimit must be at most ${settings.maxHopLimit}, got ${hop}`,
    );
  }
  return out;
}

export const ec2Imdsv2Required: ResourceValidationPolicy = {
  name: "ec2-imdsv2-required",
  description:
    "EC2 instances and launch templates require IMDSv2 session tokens and a hop limit of at most 1 (configurable).",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: imdsConfigSchema,
  validateResource: instanceValidations(imdsConfigSchema, checkImdsV2),
};
