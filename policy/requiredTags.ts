import * as aws from "@pulumi/aws";
import type { Resource } from "@pulumi/pulumi";
import {
  PolicyConfigSchema,
  ResourceValidation,
  ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { Props, REQUIRED_TAG_KEYS, asRecord, tagsOf, withDefaults } from "./settings";

export interface RequiredTagsSettings {
  readonly keys: readonly string[];
}

export const requiredTagsConfigSchema: PolicyConfigSchema = {
  properties: {
    keys: {
      type: "array",
      items: { type: "string" },
      default: [...REQUIRED_TAG_KEYS],
      description: "Tag keys every taggable AWS resource must carry with a non-empty value.",
    },
  },
};

// `args: never` accepts every resource class whatever its Args type; the rest are options.
type ResourceClass = { new (name: string, args: never, ...rest: any[]): Resource };

/**
 * The AWS resource classes that accept `tags` and that this program creates or is likely to grow
 * into. The program test compares this list with every AWS type the stacks register (reading each
 * type's Args for a `tags` input), so a new taggable type cannot slip past the policy unnoticed.
 */
export const TAGGABLE_RESOURCES: readonly ResourceClass[] = [
  aws.ec2.Vpc,
  aws.ec2.Subnet,
  aws.ec2.InternetGateway,
  aws.ec2.RouteTable,
  aws.ec2.NatGateway,
  aws.ec2.Eip,
  aws.cloudwatch.MetricAlarm,
  aws.ec2.SecurityGroup,
  aws.vpc.SecurityGroupIngressRule,
  aws.vpc.SecurityGroupEgressRule,
  aws.ec2.Instance,
  aws.ec2.LaunchTemplate,
  aws.ec2.KeyPair,
  aws.ec2.NetworkAcl,
  aws.ec2.NetworkInterface,
  aws.ec2.VpcEndpoint,
  aws.ec2.PlacementGroup,
  aws.ebs.Volume,
  aws.efs.FileSystem,
  aws.ecr.Repository,
  aws.iam.Role,
  aws.iam.InstanceProfile,
  aws.iam.Policy,
  aws.kms.Key,
  aws.lb.LoadBalancer,
  aws.lb.TargetGroup,
  aws.s3.Bucket,
  aws.cloudwatch.LogGroup,
];

/** Type tokens (`aws:ec2/instance:Instance`) of TAGGABLE_RESOURCES. */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set(
  TAGGABLE_RESOURCES.map((cls) => (cls as unknown as { __pulumiType: string }).__pulumiType),
);

/**
 * Tags are how cost reports, the chaos drill's target lookup and an operator's console filter find
 * a stack's resources; an untagged instance is invisible to all three. Tags the AWS provider adds
 * through `defaultTags` count, since AWS stores them on the resource too.
 */
export function checkRequiredTags(
  props: Props,
  settings: RequiredTagsSettings,
  providerDefaultTags: Readonly<Record<string, string>> = {},
): string[] {
  const tags = { ...providerDefaultTags, ...tagsOf(props) };
  const missing = settings.keys.filter((k) => typeof tags[k] !== "string" || tags[k].trim() === "");
  return missing.length === 0 ? [] : [`missing required tags: ${missing.join(", ")}`];
}

/** `defaultTags.tags` of the resource's explicit AWS provider, if any. */
export function providerDefaultTags(providerProps: unknown): Record<string, string> {
  const tags = asRecord(asRecord(asRecord(providerProps)?.defaultTags)?.tags) ?? {};
  return Object.fromEntries(
    Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

function taggedValidation(cls: ResourceClass): ResourceValidation {
  return validateResourceOfType(cls, (props, args, reportViolation) => {
    const settings = withDefaults<RequiredTagsSettings>(
      requiredTagsConfigSchema,
      args.getConfig<object>(),
    );
    const defaults = providerDefaultTags(args.provider?.props);
    for (const message of checkRequiredTags(props as Props, settings, defaults))
      reportViolation(message);
  });
}

export const requiredTags: ResourceValidationPolicy = {
  name: "required-tags",
  description:
    "Every taggable AWS resource carries the swarm-ha:project, swarm-ha:stack and swarm-ha:role tags.",
  enforcementLevel: "mandatory",
  severity: "low",
  configSchema: requiredTagsConfigSchema,
  validateResource: TAGGABLE_RESOURCES.map(taggedValidation),
};
