import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { instanceValidations } from "./ingressValidations";
import { Props } from "./settings";

export interface InstanceFamilySettings {
  readonly allowedFamilies: readonly string[];
}

export const instanceFamilyConfigSchema: PolicyConfigSchema = {
  properties: {
    allowedFamilies: {
      type: "array",
      items: { type: "string" },
      default: ["t3", "t3a", "m6i", "m7i", "c6i", "c7i"],
      description:
        "EC2 instance families (the part before the dot of an instance type) that may be launched.",
    },
  },
};

/**
 * Keeps stacks on families that are Nitro-based (IMDSv2, EBS encryption and ENA behave as the
 * program assumes), priced into the budget, and available in every region the stacks use.
 */
export function checkInstanceFamily(props: Props, settings: InstanceFamilySettings): string[] {
  const type = props.instanceType;
  // An instance may take its type from a launch template; that template is checked instead.
  if (type === undefined) return [];
  const family = typeof type === "string" ? type.split(".")[0] : undefined;
  if (family === undefined || !settings.allowedFamilies.includes(family)) {
    return [
      `instanceType ${JSON.stringify(type)} is not in an allowed family (${settings.allowedFamilies.join(", ")})`,
    ];
  }
  return [];
}

export const allowedInstanceFamilies: ResourceValidationPolicy = {
  name: "allowed-instance-families",
  description:
    "EC2 instances and launch templates use an allowed instance family (t3, t3a, m6i, m7i, c6i, c7i by default).",
  enforcementLevel: "mandatory",
  severity: "medium",
  configSchema: instanceFamilyConfigSchema,
  validateResource: instanceValidations(instanceFamilyConfigSchema, checkInstanceFamily),
};
