/**
 * The only module that reads Pulumi configuration. Raw values are validated by the pure
 * `parseConfig` before the program creates anything, so a bad key stops `pulumi up`/`preview`
 * with one message naming the key and the fix.
 *
 * Errors are `pulumi.RunError`: the Node.js language host's uncaught-exception handler
 * (@pulumi/pulumi cmd/run/run.js) prints a RunError as its message alone, while any other error,
 * InputPropertyError included, comes out as "Running program ... failed with an unhandled
 * exception" plus a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, namespaceNearMiss, parseConfig, RawConfig, SwarmHaConfig } from "./schema";
import type { DrillAssumeRole, DrillAwsAccess } from "../renderers/drillAws";

export interface LoadedConfig extends SwarmHaConfig {
  readonly project: string;
  readonly stack: string;
  /** AWS region of the stack (aws:region). */
  readonly region: string;
  /** AWS profile of the stack (aws:profile), if set: the chaos drill's own EC2 calls use it too. */
  readonly awsProfile?: string;
  /**
   * The stack's AWS provider identity as the chaos drill (a separate process) needs it: region,
   * profile, keys and assumeRoles (the keys are secrets: only ever passed on as a secret input).
   */
  readonly drillAws: DrillAwsAccess;
  /** The configured private key as a secret, or undefined to generate one. */
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/**
 * Whether the CLI handed `key` over as a secret (set with `--secret`). The SDK keeps that list in
 * runtime/config.js `isConfigSecret` (marked internal, so absent from the typings); without it
 * the check is skipped rather than refusing every key.
 */
function isSecretConfig(key: string): boolean | undefined {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean })
    .isConfigSecret;
  return typeof fn === "function" ? fn(key) : undefined;
}

/** Every value of this project's namespace, by bare key; other namespaces (aws:, ...) are left out. */
function projectValues(project: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) {
    if (k.startsWith(`${project}:`)) values[k.slice(project.length + 1)] = v;
  }
  return values;
}

/** Parses this project's keys; a ConfigError becomes the RunError the CLI prints as one line. */
function parseOrFail(project: string, values: Record<string, unknown>): SwarmHaConfig {
  const key = values["sshPrivateKey"];
  if (
    typeof key === "string" &&
    key.trim() !== "" &&
    isSecretConfig(`${project}:sshPrivateKey`) === false
  ) {
    throw new pulumi.RunError(
      `config key "sshPrivateKey": is stored in plain text in the stack file; run \`pulumi config rm sshPrivateKey\`, ` +
        `then \`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519\``,
    );
  }
  try {
    return parseConfig(values as RawConfig);
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

/**
 * Keys in a namespace that is a near miss of the project's (`swarmha:workerCount`, `swarm_ha:...`)
 * are never read: one warning each, naming the key they were meant to be.
 */
function warnStrayNamespaces(project: string): void {
  for (const key of Object.keys(pulumi.runtime.allConfig())) {
    const warning = namespaceNearMiss(project, key);
    if (warning) void pulumi.log.warn(warning);
  }
}

/** `aws:assumeRoles[i].duration` (a Go duration such as 1h or 15m) in seconds. */
function durationSeconds(key: string, v: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
  if (!v || !m)
    throw new pulumi.RunError(
      `config key "${key}": "${v}" is not a duration; write it as 1h, 30m or 900s`,
    );
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const DRILL_ROLE_FIELDS = ["roleArn", "sessionName", "externalId", "duration"];

/**
 * `aws:assumeRoles` as the drill can apply it (what an AWS shared-config profile can say). A field
 * it cannot apply is refused when the drill runs, rather than the drill running as someone else.
 */
function drillAssumeRoles(
  raw: string | undefined,
  chaosEnabled: boolean,
): DrillAssumeRole[] | undefined {
  if (!raw) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new pulumi.RunError(
      `config key "aws:assumeRoles": is not a list; set it with \`pulumi config set --path 'aws:assumeRoles[0].roleArn' <arn>\``,
    );
  }
  if (!Array.isArray(list))
    throw new pulumi.RunError(
      `config key "aws:assumeRoles": is not a list; set it with \`pulumi config set --path 'aws:assumeRoles[0].roleArn' <arn>\``,
    );
  return list.map((r: Record<string, unknown>, i) => {
    const key = `aws:assumeRoles[${i}]`;
    const extra = Object.keys(r ?? {}).filter((k) => !DRILL_ROLE_FIELDS.includes(k));
    if (chaosEnabled && extra.length > 0) {
      throw new pulumi.RunError(
        `config key "${key}.${extra[0]}": the chaos drill (chaosEnabled) cannot apply it to its own AWS calls; ` +
          `remove it (\`pulumi config rm --path '${key}.${extra[0]}'\`) or set chaosEnabled to false`,
      );
    }
    if (typeof r?.roleArn !== "string" || !r.roleArn.startsWith("arn:")) {
      throw new pulumi.RunError(
        `config key "${key}.roleArn": is required and must be a role ARN; set it with \`pulumi config set --path '${key}.roleArn' <arn>\``,
      );
    }
    return {
      roleArn: r.roleArn,
      ...(typeof r.sessionName === "string" ? { sessionName: r.sessionName } : {}),
      ...(typeof r.externalId === "string" ? { externalId: r.externalId } : {}),
      ...(typeof r.duration === "string"
        ? { durationSeconds: durationSeconds(`${key}.duration`, r.duration) }
        : {}),
    };
  });
}

/** Reads every key of this project (namespace = project name) and validates the lot. */
export function loadConfig(): LoadedConfig {
  const project = pulumi.getProject();
  warnStrayNamespaces(project);
  const values = projectValues(project);
  const parsed = parseOrFail(project, values);
  const region = pulumi.runtime.getConfig("aws:region");
  if (!region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new pulumi.RunError(
      `config key "aws:region": ${region ? `"${region}" is not an AWS region` : "is required"}; set it with \`pulumi config set aws:region eu-west-1\``,
    );
  }
  const key = values["sshPrivateKey"];
  const aws = (k: string) => pulumi.runtime.getConfig(`aws:${k}`) || undefined;
  const assumeRoles = drillAssumeRoles(aws("assumeRoles"), parsed.chaos.enabled);
  return {
    ...parsed,
    project,
    stack: pulumi.getStack(),
    region,
    awsProfile: aws("profile"),
    drillAws: {
      region,
      ...(aws("profile") ? { profile: aws("profile") } : {}),
      ...(aws("accessKey") ? { accessKey: aws("accessKey") } : {}),
      ...(aws("secretKey") ? { secretKey: aws("secretKey") } : {}),
      ...(aws("token") ? { token: aws("token") } : {}),
      ...(assumeRoles ? { assumeRoles } : {}),
    },
    sshPrivateKey: typeof key === "string" && key.trim() !== "" ? pulumi.secret(key) : undefined,
  };
}
