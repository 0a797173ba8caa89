import * as aws from "@pulumi/aws";
import {
  PolicyConfigSchema,
  ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { Props, asArray, asRecord, report, shown } from "./settings";

const noSettings: PolicyConfigSchema = { properties: {} };

/**
 * Unset `encrypted` is a violation: the outcome would then depend on the account's
 * "EBS encryption by default" switch, which the program cannot see or guarantee.
 */
export function checkInstanceVolumesEncrypted(props: Props): string[] {
  const out: string[] = [];
  const root = asRecord(props.rootBlockDevice);
  if (root?.encrypted !== true) {
    out.push(`rootBlockDevice.encrypted must be true, got ${shown(root?.encrypted)}`);
  }
  asArray(props.ebsBlockDevices).forEach((raw, i) => {
    const d = asRecord(raw);
    if (d?.encrypted !== true) {
      out.push(
        `ebsBlockDevices[${i}] (${shown(d?.deviceName)}).encrypted must be true, got ${shown(d?.encrypted)}`,
      );
    }
  });
  return out;
}

export function checkVolumeEncrypted(props: Props): string[] {
  return props.encrypted === true ? [] : [`encrypted must be true, got ${shown(props.encrypted)}`];
}

/** Launch templates spell the flag as the string "true". */
export function checkLaunchTemplateVolumesEncrypted(props: Props): string[] {
  const out: string[] = [];
  asArray(props.blockDeviceMappings).forEach((raw, i) => {
    const ebs = asRecord(asRecord(raw)?.ebs);
    if (ebs && ebs.encrypted !== "true" && ebs.encrypted !== true) {
      out.push(
        `blockDeviceMappings[${i}].ebs.encrypted must be "true", got ${shown(ebs.encrypted)}`,
      );
    }
  });
  return out;
}

export const ebsEncrypted: ResourceValidationPolicy = {
  name: "ebs-encrypted",
  description:
    "Root and attached EBS volumes of instances, launch templates and standalone volumes are encrypted.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: [
    validateResourceOfType(aws.ec2.Instance, (props, args, reportViolation) =>
      report(noSettings, checkInstanceVolumesEncrypted, props, args, reportViolation),
    ),
    validateResourceOfType(aws.ebs.Volume, (props, args, reportViolation) =>
      report(noSettings, checkVolumeEncrypted, props, args, reportViolation),
    ),
    validateResourceOfType(aws.ec2.LaunchTemplate, (props, args, reportViolation) =>
      report(noSettings, checkLaunchTemplateVolumesEncrypted, props, args, reportViolation),
    ),
  ],
};
