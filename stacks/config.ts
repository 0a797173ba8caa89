/**
 * The only module that reads Pulumi configuration. Raw values are validated by the pure
 * `parseConfig` before the program creates anything, so a bad key stops `pulumi up`/`preview`
 * with one message naming the key and the fix.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigError, parseConfig, RawConfig, SwarmHaConfig } from "./schema";

export interface LoadedConfig extends SwarmHaConfig {
  readonly project: string;
  readonly stack: string;
  /** AWS region of the stack (aws:region). */
  readonly region: string;
  /** The configured private key as a secret, or undefined to generate one. */
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/** Reads every declared key of this project (namespace = project name) and validates the lot. */
export function loadConfig(): LoadedConfig {
  const project = pulumi.getProject();
  const values: Record<string, unknown> = {};
  // runtime.getConfig returns the raw string (secrets decrypted) without the "use getSecret" warning;
  // secret values are re-wrapped as secrets below and never leave this module in plain form.
  for (const k of CONFIG_KEYS) {
    const v = pulumi.runtime.getConfig(`${project}:${k.key}`);
    if (v !== undefined) values[k.key] = v;
  }
  const unknown = Object.keys(allConfig()).filter(
    (k) => k.startsWith(`${project}:`) && !CONFIG_KEYS.some((c) => `${project}:${c.key}` === k),
  );
  if (unknown.length > 0) values[unknown[0].slice(project.length + 1)] = "(set)";

  let parsed: SwarmHaConfig;
  try {
    parsed = parseConfig(values as RawConfig);
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new pulumi.InputPropertyError({ propertyPath: e.key, reason: e.message });
    }
    throw e;
  }
  const region = pulumi.runtime.getConfig("aws:region");
  if (!region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new pulumi.InputPropertyError({
      propertyPath: "aws:region",
      reason: `config key "aws:region": ${region ? `"${region}" is not an AWS region` : "is required"}; set it with \`pulumi config set aws:region eu-west-1\``,
    });
  }
  const key = values["sshPrivateKey"];
  return {
    ...parsed,
    project,
    stack: pulumi.getStack(),
    region,
    sshPrivateKey: typeof key === "string" && key.trim() !== "" ? pulumi.secret(key) : undefined,
  };
}

function allConfig(): Record<string, string> {
  return pulumi.runtime.allConfig();
}
