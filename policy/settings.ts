/**
 * Shared plumbing of the pack: policy settings with defaults, tag keys, and safe property reads.
 *
 * Every check is a plain function `(props, settings) => string[]` so tests and `evaluatePack`
 * run it without the Pulumi engine; the policy consts only adapt the engine's arguments to it.
 */
import type { PolicyConfigSchema, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";

/**
 * The tag keys the program's components put on every AWS resource (base/tags.ts). The pack keeps
 * its own copy: a published pack is loaded from this folder alone, so it imports nothing outside
 * it; test/policy/selfContained.test.ts holds these equal to the program's.
 */
export const TAG_PROJECT = "swarm-ha:project";
export const TAG_STACK = "swarm-ha:stack";
export const TAG_ROLE = "swarm-ha:role";
export const REQUIRED_TAG_KEYS = [TAG_PROJECT, TAG_STACK, TAG_ROLE] as const;

/** A resource's property bag as the engine (or the mocks) hand it over. */
export type Props = Readonly<Record<string, unknown>>;

/**
 * Merges the user's policy config over the `default`s of the policy's configSchema, so a setting
 * is defaulted in exactly one place whether or not the engine already applied the schema defaults.
 */
export function withDefaults<T extends object>(
  schema: PolicyConfigSchema,
  config: object | undefined,
): T {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema.properties)) {
    const d = (spec as { default?: unknown }).default;
    if (d !== undefined) out[key] = Array.isArray(d) ? [...d] : d;
  }
  for (const [key, value] of Object.entries(config ?? {})) {
    if (key !== "enforcementLevel" && value !== undefined) out[key] = value;
  }
  return out as T;
}

/**
 * Runs a plain check inside a policy: reads the policy's settings (with defaults) and reports each
 * message it returns.
 */
export function report<S extends object>(
  schema: PolicyConfigSchema,
  check: (props: Props, settings: S) => string[],
  props: object,
  args: ResourceValidationArgs,
  reportViolation: ReportViolation,
): void {
  const settings = withDefaults<S>(schema, args.getConfig<object>());
  for (const message of check(props as Props, settings)) reportViolation(message);
}

/**
 * Reads a property without touching a value the engine marks unknown during preview: the engine
 * wraps props in a proxy whose `get` throws on unknowns, but the own-property descriptor returns
 * the raw sentinel. Use it where only the presence of a value matters (e.g. "a security group is
 * referenced"), so the policy still runs during a first preview.
 */
export function isSet(obj: unknown, key: string): boolean {
  if (obj === null || typeof obj !== "object") return false;
  const desc = Object.getOwnPropertyDescriptor(obj, key);
  if (!desc || !("value" in desc)) return false;
  const v: unknown = desc.value;
  if (v === undefined || v === null || v === "" || v === false) return false;
  return !(Array.isArray(v) && v.length === 0);
}

export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asStringList(v: unknown): string[] {
  return asArray(v).filter((x): x is string => typeof x === "string");
}

/**
 * The resource's tags, as a plain string map (empty when none are set). A whole tag map that is
 * unknown at preview throws the engine's "can't be known during preview" (nothing can be judged);
 * a single tag value that is unknown is read raw, so it counts as set without stopping the check.
 */
export function tagsOf(props: Props): Record<string, string> {
  const tags = asRecord(props.tags) ?? {};
  const out: Record<string, string> = {};
  for (const k of Object.keys(tags)) {
    const v: unknown = Object.getOwnPropertyDescriptor(tags, k)?.value;
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** JSON-ish rendering of a value for a violation message. */
export function shown(v: unknown): string {
  return v === undefined ? "unset" : JSON.stringify(v);
}
