/**
 * Runs the pack's policies over recorded resources without the Pulumi engine: what the unit tests
 * use to hold the program's own stacks (registered under mocks) to the baseline.
 *
 * It calls each policy's real `validateResource` functions with the argument bag the engine would
 * build, so the wiring (type filters, settings, defaults) is tested too, not just the checks.
 */
import type { Resource } from "@pulumi/pulumi";
import type {
  EnforcementLevel,
  PolicyResource,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { policies as packPolicies } from "./policies";

/** One registration, as the mocks record it: type token, logical name, resolved inputs. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  /** The inputs of the resource's explicit provider, if the test knows them (for `defaultTags`). */
  readonly provider?: {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
  };
}

/** Per-policy config as in a `--policy-pack-config` file; the key "all" sets every level. */
export type PackConfig = Readonly<
  Record<
    string,
    EnforcementLevel | ({ readonly enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
  >
>;

export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly type: string;
  readonly name: string;
  readonly message: string;
}

class NotApplicable extends Error {}

function policyConfig(
  config: PackConfig,
  policy: string,
): { level?: EnforcementLevel; settings: object } {
  const entry = config[policy];
  const all = config.all;
  const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
  if (entry === undefined) return { level: allLevel, settings: {} };
  if (typeof entry === "string") return { level: entry, settings: {} };
  const { enforcementLevel, ...settings } = entry;
  return { level: enforcementLevel ?? allLevel, settings };
}

function pulumiTypeOf(x: unknown): string | undefined {
  const t = (x as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof t === "string" && t.length > 0 ? t : undefined;
}

/**
 * Applies every validation of every policy to every resource and returns what they report.
 * Policies at level "disabled" are skipped; "remediate" is reported as "mandatory", as the engine
 * does for a violation that survives remediation.
 */
export function evaluatePack(
  resources: readonly RecordedResource[],
  config: PackConfig = {},
  policies: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = packPolicies,
  packLevel: EnforcementLevel = "mandatory",
): Violation[] {
  const out: Violation[] = [];
  for (const policy of policies) {
    const { level: configured, settings } = policyConfig(config, policy.name);
    let level = configured ?? policy.enforcementLevel ?? packLevel;
    if (level === "disabled") continue;
    if (level === "remediate") level = "mandatory";
    if ("validateStack" in policy) {
      out.push(...evaluateStackPolicy(policy, level, settings, resources));
      continue;
    }
    if (!policy.validateResource) continue;
    const validations: ResourceValidation[] = Array.isArray(policy.validateResource)
      ? policy.validateResource
      : [policy.validateResource];

    for (const r of resources) {
      for (const validate of validations) {
        const only = pulumiTypeOf(validate);
        if (only !== undefined && only !== r.type) continue;
        const isType = (cls: { new (...rest: never[]): Resource }): boolean =>
          pulumiTypeOf(cls) === r.type;
        const args: ResourceValidationArgs = {
          type: r.type,
          name: r.name,
          urn: `urn:pulumi:test::swarm-ha::${r.type}::${r.name}`,
          props: r.props,
          opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            additionalSecretOutputs: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
          },
          provider: r.provider
            ? {
                ...r.provider,
                urn: `urn:pulumi:test::swarm-ha::${r.provider.type}::${r.provider.name}`,
              }
            : undefined,
          stackTags: new Map(),
          isType,
          asType: ((cls: { new (...rest: never[]): Resource }) =>
            isType(cls) ? r.props : undefined) as ResourceValidationArgs["asType"],
          getConfig: <T extends object>() => settings as T,
          notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
          },
        };
        const report = (message: string) => {
          out.push({
            policy: policy.name,
            enforcementLevel: level,
            type: r.type,
            name: r.name,
            message,
          });
        };
        try {
          const result = validate(args, report);
          if (result instanceof Promise) {
            throw new Error(
              `policy ${policy.name} validates asynchronously; evaluatePack only runs synchronous checks`,
            );
          }
        } catch (e) {
          if (!(e instanceof NotApplicable)) throw e;
        }
      }
    }
  }
  return out;
}

const urnOf = (r: RecordedResource) => `urn:pulumi:test::swarm-ha::${r.type}::${r.name}`;

/**
 * Runs a stack policy's real `validateStack` over every recorded resource at once, as the engine
 * does after a preview or update; a violation names the resource whose URN it reports.
 */
function evaluateStackPolicy(
  policy: StackValidationPolicy,
  level: EnforcementLevel,
  settings: object,
  resources: readonly RecordedResource[],
): Violation[] {
  const out: Violation[] = [];
  const stack: PolicyResource[] = resources.map((r) => {
    const isType = (cls: { new (...rest: never[]): Resource }): boolean =>
      pulumiTypeOf(cls) === r.type;
    return {
      type: r.type,
      name: r.name,
      urn: urnOf(r),
      props: r.props,
      opts: {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      },
      dependencies: [],
      propertyDependencies: {},
      isType,
      asType: ((cls: { new (...rest: never[]): Resource }) =>
        isType(cls) ? r.props : undefined) as PolicyResource["asType"],
    };
  });
  const report = (message: string, urn?: string) => {
    const r = resources.find((x) => urnOf(x) === urn);
    out.push({
      policy: policy.name,
      enforcementLevel: level,
      type: r?.type ?? "pulumi:pulumi:Stack",
      name: r?.name ?? "stack",
      message,
    });
  };
  try {
    const result = policy.validateStack(
      {
        resources: stack,
        stackTags: new Map(),
        getConfig: <T extends object>() => settings as T,
        notApplicable: (reason?: string): never => {
          throw new NotApplicable(reason);
        },
      },
      report,
    );
    if (result instanceof Promise)
      throw new Error(
        `policy ${policy.name} validates asynchronously; evaluatePack only runs synchronous checks`,
      );
  } catch (e) {
    if (!(e instanceof NotApplicable)) throw e;
  }
  return out;
}

/** The violations that would block `pulumi up`. */
export function mandatoryViolations(violations: readonly Violation[]): Violation[] {
  return violations.filter((v) => v.enforcementLevel === "mandatory");
}

/** One line per violation, for assertion messages. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => `[${v.enforcementLevel}] ${v.policy}: ${v.type} "${v.name}": ${v.message}`)
    .join("\n");
}
