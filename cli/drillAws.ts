/**
 * Gives the chaos drill's process the stack's AWS identity (renderers/drillAws.ts) before any AWS
 * client is made: the ChaosCheck hands it over in SWARM_HA_DRILL_AWS; `npm run chaos` by hand
 * runs without it and uses the caller's own environment, as before.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DRILL_AWS_ENV, DrillAwsAccess, renderDrillAwsConfig } from "../renderers/drillAws";

/** Applies the identity to `env` (this process's by default); returns what removes its temp file. */
export function applyDrillAws(env: NodeJS.ProcessEnv = process.env): () => void {
  const raw = env[DRILL_AWS_ENV];
  if (!raw) return () => undefined;
  const a = JSON.parse(raw) as DrillAwsAccess;
  // Not for the drill's children (ssh): only the SDK in this process needs it.
  delete env[DRILL_AWS_ENV];
  env.AWS_REGION = a.region;
  const rendered = renderDrillAwsConfig(a, {
    environmentKeys: Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY),
    environmentProfile: env.AWS_PROFILE,
  });
  if (!rendered) {
    if (a.accessKey && a.secretKey) {
      // The stack's keys win over a profile, as in the AWS provider.
      env.AWS_ACCESS_KEY_ID = a.accessKey;
      env.AWS_SECRET_ACCESS_KEY = a.secretKey;
      if (a.token) env.AWS_SESSION_TOKEN = a.token;
      else delete env.AWS_SESSION_TOKEN;
      delete env.AWS_PROFILE;
    } else if (a.profile) {
      env.AWS_PROFILE = a.profile;
    }
    return () => undefined;
  }
  // The user's own profiles stay visible: the drill's are appended to a copy of their config file.
  const own = env.AWS_CONFIG_FILE || path.join(os.homedir(), ".aws", "config");
  const existing = fs.existsSync(own) ? fs.readFileSync(own, "utf8") : "";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-drill-aws-"));
  const file = path.join(dir, "config");
  fs.writeFileSync(file, `${existing}\n${rendered.ini}`, { mode: 0o600 });
  env.AWS_CONFIG_FILE = file;
  env.AWS_PROFILE = rendered.profile;
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
