/**
 * Issue 11 item 5: `npm run lab -- status|down` without an engine say so in one line (as `up` does)
 * and exit with the setup code, instead of printing a docker command line. DOCKER_HOST points at a
 * socket nobody listens on, so the machine's real engine is never touched (no lab lock needed).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.join(__dirname, "..", "..");

function labCli(command: string): { status: number | null; stderr: string; stdout: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-noengine-"));
  const host = `unix://${path.join(dir, "nobody.sock")}`;
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "lab/cli.ts", command],
      {
        cwd: ROOT,
        env: { ...process.env, DOCKER_HOST: host },
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    return { status: r.status, stderr: r.stderr, stdout: r.stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("npm run lab without a Docker engine", () => {
  it.each(["status", "down"])(
    "%s: one line naming the missing engine and the fix, exit 4",
    (command: string) => {
      const r = labCli(command);
      expect(r.status).toBe(4);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^error: no Docker engine answers at DOCKER_HOST=unix:\/\/.*nobody\.sock: start it/,
      );
      expect(r.stderr).not.toMatch(/docker (ps|info|container|network|volume) /);
      expect(r.stdout).toBe("");
    },
    90_000,
  );
});
