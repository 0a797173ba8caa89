import * as aws from "@pulumi/aws";
import {
  PolicyConfigSchema,
  ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { Props, asRecord, report, shown } from "./settings";

const noSettings: PolicyConfigSchema = { properties: {} };

/**
 * An instance states `maintenanceOptions.autoRecovery: "default"`: EC2 then moves it off failed
 * hardware with the same id, addresses and volumes. Unset counts as a violation, like an unset
 * encryption flag: a program that does not say it cannot be told from one that turned it off.
 */
export function checkAutoRecovery(props: Props): string[] {
  const value = asRecord(props.maintenanceOptions)?.autoRecovery;
  return value === "default"
    ? []
    : [`maintenanceOptions.autoRecovery must be "default", got ${shown(value)}`];
}

export const ec2AutoRecovery: ResourceValidationPolicy = {
  name: "ec2-auto-recovery",
  description:
    'Instances and launch templates keep EC2 automatic recovery on (maintenanceOptions.autoRecovery "default").',
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: [
    validateResourceOfType(aws.ec2.Instance, (props, args, reportViolation) =>
      report(noSettings, checkAutoRecovery, props, args, reportViolation),
    ),
    validateResourceOfType(aws.ec2.LaunchTemplate, (props, args, reportViolation) =>
      report(noSettings, checkAutoRecovery, props, args, reportViolation),
    ),
  ],
};
