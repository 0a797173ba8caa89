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

export interface LoadedConfig extends SwarmHaConfig {
  readonly project: string;
  readonly stack: string;
  /** AWS region of the stack (aws:region). */
  readonly region: string;
  /** AWS profile of the stack (aws:profile), if set: the chaos drill's own EC2 calls use it too. */
  readonly awsProfile?: string;
  /** The configured private key as a secret, or undefined to generate one. */
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/**
 * Whether the CLI handed `key` over as a secret (set with `--secret`). The SDK keeps that list in
 * runtime/config.js `isConfigSecret` (marked internal, so absent from the typings); without it
 * the check is skipped rather than refusing every key.
 */
function isSecretConfig(key: string): boolean | undefined {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
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
  if (typeof key === "string" && key.trim() !== "" && isSecretConfig(`${project}:sshPrivateKey`) === false) {
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
  return {
    ...parsed,
    project,
    stack: pulumi.getStack(),
    region,
    awsProfile: pulumi.runtime.getConfig("aws:profile") || undefined,
    sshPrivateKey: typeof key === "string" && key.trim() !== "" ? pulumi.secret(key) : undefined,
  };
}
