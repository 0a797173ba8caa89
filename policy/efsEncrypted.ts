import * as aws from "@pulumi/aws";
import {
  PolicyConfigSchema,
  ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { Props, report, shown } from "./settings";

const noSettings: PolicyConfigSchema = { properties: {} };

/**
 * EFS encrypts at rest only when the file system is created so (`encrypted` forces a new file
 * system): unset is a violation, as for EBS, since the account default cannot be seen from here.
 */
export function checkEfsEncrypted(props: Props): string[] {
  return props.encrypted === true
    ? []
    : [
        `encrypted must be true (EFS encryption at rest is chosen at creation), got ${shown(props.encrypted)}`,
      ];
}

export const efsEncrypted: ResourceValidationPolicy = {
  name: "efs-encrypted",
  description: "EFS file systems (the WAS log store) are encrypted at rest.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: validateResourceOfType(aws.efs.FileSystem, (props, args, reportViolation) =>
    report(noSettings, checkEfsEncrypted, props, args, reportViolation),
  ),
};
