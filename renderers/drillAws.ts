/**
 * The AWS identity of the chaos drill, which runs as its own process (a `command.local.Command`)
 * and so does not get the AWS provider's configuration: the stack's `aws:region`, `aws:profile`,
 * static keys and `aws:assumeRoles` travel to it in one environment variable (a secret input of
 * the ChaosCheck), and the CLI turns them into what the AWS SDK's default credential chain reads:
 * static keys as environment variables, a profile as AWS_PROFILE, and role assumption as a chain of
 * shared-config profiles (`role_arn` + `source_profile` / `credential_source`), which the SDK's
 * ini provider assumes one after another, in the order the AWS provider does.
 */

/** One entry of `aws:assumeRoles` the drill can apply (what a shared-config profile can say). */
export interface DrillAssumeRole {
  readonly roleArn: string;
  readonly sessionName?: string;
  readonly externalId?: string;
  readonly durationSeconds?: number;
}

/** The stack's AWS configuration as the drill needs it. Keys are secrets: never in plain state. */
export interface DrillAwsAccess {
  readonly region: string;
  readonly profile?: string;
  readonly accessKey?: string;
  readonly secretKey?: string;
  readonly token?: string;
  /** Assumed in order, each with the credentials of the one before (the first with the base ones). */
  readonly assumeRoles?: readonly DrillAssumeRole[];
}

/** The variable carrying DrillAwsAccess as JSON into the drill's process. */
export const DRILL_AWS_ENV = "SWARM_HA_DRILL_AWS";

/** Prefix of the shared-config profiles the drill writes for itself. */
export const DRILL_PROFILE = "swarm-ha-drill";

/**
 * The drill process's environment: the region, and the access JSON when there is more than a
 * region. Built from stack config only (nothing of the machine `pulumi up` runs on), so every
 * teammate and CI give the same input; the ChaosCheck keeps it secret.
 */
export function drillEnvironment(a: DrillAwsAccess): Record<string, string> {
  const more =
    a.profile || a.accessKey || a.secretKey || a.token || (a.assumeRoles?.length ?? 0) > 0;
  return { AWS_REGION: a.region, ...(more ? { [DRILL_AWS_ENV]: JSON.stringify(a) } : {}) };
}

/** Where the first role's credentials come from when the stack sets no keys and no profile. */
export interface BaseCredentials {
  /** The drill's own environment holds static keys (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). */
  readonly environmentKeys: boolean;
  /** AWS_PROFILE of the drill's environment, if any (else the SDK's "default"). */
  readonly environmentProfile?: string;
}

const INI_VALUE = /^[A-Za-z0-9+/=:@._,\-]+$/;

function iniValue(key: string, v: string): string {
  if (!INI_VALUE.test(v))
    throw new Error(
      `aws config ${key}: ${JSON.stringify(v)} has characters a shared-config file cannot carry`,
    );
  return `${key} = ${v}`;
}

/**
 * The shared-config profiles for `a` (appended to the user's own config file by the CLI) and the
 * profile the drill must use, or undefined when `a` needs none (no role to assume: keys and a
 * profile are plain environment variables). Static keys become a profile of their own so the first
 * role can name it as its source.
 */
export function renderDrillAwsConfig(
  a: DrillAwsAccess,
  base: BaseCredentials,
): { ini: string; profile: string } | undefined {
  const roles = a.assumeRoles ?? [];
  if (roles.length === 0) return undefined;
  const sections: string[] = [];
  let source: string;
  if (a.accessKey && a.secretKey) {
    sections.push(
      [
        `[profile ${DRILL_PROFILE}-keys]`,
        iniValue("aws_access_key_id", a.accessKey),
        iniValue("aws_secret_access_key", a.secretKey),
        ...(a.token ? [iniValue("aws_session_token", a.token)] : []),
      ].join("\n"),
    );
    source = iniValue("source_profile", `${DRILL_PROFILE}-keys`);
  } else if (a.profile) {
    source = iniValue("source_profile", a.profile);
  } else if (base.environmentKeys) {
    source = "credential_source = Environment";
  } else {
    source = iniValue("source_profile", base.environmentProfile || "default");
  }
  roles.forEach((r, i) => {
    const name = `${DRILL_PROFILE}-role-${i}`;
    sections.push(
      [
        `[profile ${name}]`,
        iniValue("role_arn", r.roleArn),
        source,
        ...(r.sessionName ? [iniValue("role_session_name", r.sessionName)] : []),
        ...(r.externalId ? [iniValue("external_id", r.externalId)] : []),
        ...(r.durationSeconds !== undefined
          ? [iniValue("duration_seconds", String(r.durationSeconds))]
          : []),
      ].join("\n"),
    );
    source = iniValue("source_profile", name);
  });
  return {
    ini: `${sections.join("\n\n")}\n`,
    profile: `${DRILL_PROFILE}-role-${roles.length - 1}`,
  };
}
