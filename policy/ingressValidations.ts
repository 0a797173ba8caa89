import * as aws from "@pulumi/aws";
import { PolicyConfigSchema, ResourceValidation, validateResourceOfType } from "@pulumi/policy";
import { IngressKind } from "./network";
import { Props, report } from "./settings";

/** A network check: the resource kind tells it how to read the props. */
export type IngressCheck<S> = (kind: IngressKind, props: Props, settings: S) => string[];

/** The same check, once per resource type that can open a port. */
export function ingressValidations<S extends object>(
  schema: PolicyConfigSchema,
  check: IngressCheck<S>,
): ResourceValidation[] {
  const as =
    (kind: IngressKind) =>
    (props: Props, settings: S): string[] =>
      check(kind, props, settings);
  return [
    validateResourceOfType(aws.ec2.SecurityGroup, (props, args, reportViolation) =>
      report(schema, as("securityGroup"), props, args, reportViolation),
    ),
    validateResourceOfType(aws.vpc.SecurityGroupIngressRule, (props, args, reportViolation) =>
      report(schema, as("vpcIngressRule"), props, args, reportViolation),
    ),
    validateResourceOfType(aws.ec2.SecurityGroupRule, (props, args, reportViolation) =>
      report(schema, as("securityGroupRule"), props, args, reportViolation),
    ),
  ];
}

/** An instance-level check, run on instances and on launch templates (which carry the same fields). */
export function instanceValidations<S extends object>(
  schema: PolicyConfigSchema,
  check: (props: Props, settings: S) => string[],
): ResourceValidation[] {
  return [
    validateResourceOfType(aws.ec2.Instance, (props, args, reportViolation) =>
      report(schema, check, props, args, reportViolation),
    ),
    validateResourceOfType(aws.ec2.LaunchTemplate, (props, args, reportViolation) =>
      report(schema, check, props, args, reportViolation),
    ),
  ];
}
