/** Whether a Docker engine answers; the e2e suites skip, saying why, only when it does not. */
import { execFileSync } from "child_process";
import { existsSync, readFileSync } from "fs";

export function engineProblem(): string | undefined {
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
      stdio: "pipe",
      timeout: 20_000,
    });
    return undefined;
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    return err.code === "ENOENT"
      ? "the docker CLI is not installed"
      : (err.stderr?.toString().trim().split("\n")[0] ?? "docker info failed");
  }
}

export const ENGINE_PROBLEM = engineProblem();
if (ENGINE_PROBLEM)
  console.warn(
    `[e2e] SKIPPED: no Docker engine reachable (${ENGINE_PROBLEM}); start dockerd to run the lab end to end`,
  );

/** Runs `npm run chaos -- ...` as a user would; returns exit code, stdout and stderr. */
export function runChaosCli(args: readonly string[]): {
  code: number;
  stdout: string;
  stderr: string;
} {
  try {
    const stdout = execFileSync("npx", ["--no-install", "tsx", "cli/chaos.ts", ...args], {
      cwd: `${__dirname}/../..`,
      stdio: "pipe",
      encoding: "utf8",
      timeout: 5 * 60_000,
    });
    return { code: 0, stdout, stderr: "" };
  } catch (e) {
    const err = e as {
      status?: number | null;
      signal?: string | null;
      stdout?: string;
      stderr?: string;
    };
    // A run killed at the timeout has no exit status: say so instead of passing it off as exit 1.
    const killed =
      err.status == null
        ? `\n[e2e] the chaos CLI was killed (${err.signal ?? "no exit status"}) after the 5 min limit`
        : "";
    return { code: err.status ?? 1, stdout: err.stdout ?? "", stderr: (err.stderr ?? "") + killed };
  }
}

/** Runs the CLI drill against the running lab, logs its last line, and reads the report it wrote. */
export function chaosDrillOnLab(
  target: string,
  reportFile: string,
  say: (l: string) => void,
): { result: ReturnType<typeof runChaosCli>; report: Record<string, any> } {
  const result = runChaosCli(["--lab", "--target", target, "--json", reportFile]);
  say(`chaos CLI exit ${result.code}: ${result.stderr.trim().split("\n").pop()}`);
  if (!existsSync(reportFile)) {
    throw new Error(
      `the chaos CLI (exit ${result.code}) wrote no report; its last output:\n${result.stderr.trim().split("\n").slice(-25).join("\n")}`,
    );
  }
  return { result, report: JSON.parse(readFileSync(reportFile, "utf8")) };
}
