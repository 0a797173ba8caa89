/**
 * Issue 22 finding 8: the drill's AWS identity. What the ChaosCheck hands the drill is turned into
 * what the AWS SDK reads, and the SDK's own shared-config provider (@aws-sdk/credential-provider-ini,
 * the one the drill's EC2 client resolves profiles with) is run over the result with a recording
 * role assumer in place of STS: keys, the role chain and its order are the SDK's reading, not ours.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fromIni } from "@aws-sdk/credential-provider-ini";
import { afterEach, describe, expect, it } from "vitest";
import { applyDrillAws } from "../../cli/drillAws";
import {
  DRILL_AWS_ENV,
  drillEnvironment,
  DrillAwsAccess,
  renderDrillAwsConfig,
} from "../../renderers/drillAws";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "drill-aws-test-"));
  dirs.push(d);
  return d;
}

const ROLE_A = "arn:aws:iam::123456789012:role/ops";
const ROLE_B = "arn:aws:iam::210987654321:role/swarm-ha-drill";

/** Resolves `profile` from `configText` with the SDK, recording each AssumeRole it would send. */
async function resolveWithSdk(configText: string, profile: string) {
  const d = tmp();
  fs.writeFileSync(path.join(d, "config"), configText);
  fs.writeFileSync(path.join(d, "credentials"), "");
  const calls: Array<{
    source: string;
    RoleArn: string;
    RoleSessionName?: string;
    ExternalId?: string;
    DurationSeconds?: number;
  }> = [];
  const creds = await fromIni({
    profile,
    configFilepath: path.join(d, "config"),
    filepath: path.join(d, "credentials"),
    ignoreCache: true,
    roleAssumer: async (source, params) => {
      calls.push({ source: source.accessKeyId, ...params });
      return {
        accessKeyId: `ASIA-${params.RoleArn.split("/").pop()}`,
        secretAccessKey: "s",
        sessionToken: "t",
      };
    },
  })();
  return { creds, calls };
}

describe("the drill's AWS identity (renderers/drillAws.ts, cli/drillAws.ts)", () => {
  const access: DrillAwsAccess = {
    region: "eu-west-1",
    accessKey: "AKIAIOSFODNN7EXAMPLE",
    secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    assumeRoles: [
      { roleArn: ROLE_A, sessionName: "drill", externalId: "x-1", durationSeconds: 900 },
      { roleArn: ROLE_B },
    ],
  };

  it("the SDK assumes the stack's roles in order, the first with the stack's keys", async () => {
    const r = renderDrillAwsConfig(access, { environmentKeys: false })!;
    const { creds, calls } = await resolveWithSdk(r.ini, r.profile);
    expect(calls.map((c) => [c.source, c.RoleArn])).toEqual([
      ["AKIAIOSFODNN7EXAMPLE", ROLE_A],
      ["ASIA-ops", ROLE_B],
    ]);
    expect(calls[0]).toMatchObject({
      RoleSessionName: "drill",
      ExternalId: "x-1",
      DurationSeconds: 900,
    });
    expect(creds.accessKeyId).toBe("ASIA-swarm-ha-drill");
  });

  it("with a profile and no keys, the first role's source is the stack's profile (kept from the user's own config)", async () => {
    const r = renderDrillAwsConfig(
      { region: "eu-west-1", profile: "ops", assumeRoles: [{ roleArn: ROLE_B }] },
      { environmentKeys: false },
    )!;
    const own =
      "[profile ops]\naws_access_key_id = AKIAOPSEXAMPLE\naws_secret_access_key = secret\n";
    const { calls } = await resolveWithSdk(`${own}\n${r.ini}`, r.profile);
    expect(calls).toEqual([expect.objectContaining({ source: "AKIAOPSEXAMPLE", RoleArn: ROLE_B })]);
  });

  it("no role: nothing to write (keys and a profile are plain variables)", () => {
    expect(
      renderDrillAwsConfig({ region: "eu-west-1", profile: "ops" }, { environmentKeys: false }),
    ).toBeUndefined();
  });

  it("refuses a value a shared-config line cannot carry (the case that must fail)", () => {
    expect(() =>
      renderDrillAwsConfig(
        { region: "eu-west-1", assumeRoles: [{ roleArn: "arn:x\n[profile evil]" }] },
        { environmentKeys: false },
      ),
    ).toThrow(/cannot carry/);
  });

  it("applyDrillAws: the user's own config stays visible, the drill's profile is used, the temp file goes away", () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, "config"), "[profile mine]\nregion = us-east-1\n");
    const env: NodeJS.ProcessEnv = {
      AWS_CONFIG_FILE: path.join(d, "config"),
      ...drillEnvironment(access),
    };
    const cleanup = applyDrillAws(env);
    expect(env[DRILL_AWS_ENV]).toBeUndefined();
    expect(env.AWS_PROFILE).toBe("swarm-ha-drill-role-1");
    const written = fs.readFileSync(env.AWS_CONFIG_FILE!, "utf8");
    expect(written).toContain("[profile mine]");
    expect(written).toContain(`role_arn = ${ROLE_B}`);
    expect(fs.statSync(env.AWS_CONFIG_FILE!).mode & 0o777).toBe(0o600);
    cleanup();
    expect(fs.existsSync(env.AWS_CONFIG_FILE!)).toBe(false);
  });

  it("applyDrillAws: keys without roles become the SDK's variables and win over a profile", () => {
    const env: NodeJS.ProcessEnv = {
      AWS_PROFILE: "someone",
      ...drillEnvironment({ region: "eu-west-1", accessKey: "AKIA1", secretKey: "s1" }),
    };
    applyDrillAws(env)();
    expect(env).toMatchObject({
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIA1",
      AWS_SECRET_ACCESS_KEY: "s1",
    });
    expect(env.AWS_PROFILE).toBeUndefined();
  });

  it("applyDrillAws without the variable (npm run chaos by hand) leaves the environment alone", () => {
    const env: NodeJS.ProcessEnv = { AWS_PROFILE: "mine" };
    applyDrillAws(env)();
    expect(env).toEqual({ AWS_PROFILE: "mine" });
  });
});
