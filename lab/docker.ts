/**
 * The lab's only way to the host's Docker engine: the `docker` CLI, spawned without a shell
 * (arguments are never interpolated into a command line) and with optional standard input, so
 * scripts and secrets (join tokens) travel on stdin and never in argv or logs.
 */
import { spawn } from "child_process";
import { createReadStream } from "fs";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Bytes written to the command's standard input (then closed). */
  readonly input?: string | Buffer;
  /** A file streamed to the command's standard input instead (an image tar is never read into memory). */
  readonly inputFile?: string;
  /** Kill the command after this many ms. Default none. */
  readonly timeoutMs?: number;
}

/** Runs `docker <args>`; resolves with the exit code whatever it is. */
export function dockerRaw(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args as string[], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("error", (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(
        e.code === "ENOENT"
          ? new LabError(
              "the docker CLI is not installed; install it (Debian: apt-get install -y docker.io)",
            )
          : e,
      );
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    child.stdin.on("error", () => undefined); // a command that exits early closes its stdin
    if (opts.inputFile) {
      const file = createReadStream(opts.inputFile);
      file.on("error", (e) => {
        child.kill("SIGKILL");
        reject(new LabError(`cannot read ${opts.inputFile}: ${e.message}`));
      });
      file.pipe(child.stdin);
    } else {
      child.stdin.end(opts.input ?? "");
    }
  });
}

/** Runs `docker <args>` and returns stdout; throws a LabError with docker's own message on failure. */
export async function docker(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await dockerRaw(args, opts);
  if (r.code !== 0) {
    const shown = args[0] === "exec" ? args.slice(0, 3).join(" ") + " ..." : args.join(" ");
    // One line: docker's own message, without its "Run 'docker ... --help'" trailer.
    const msg = (r.stderr.trim() || r.stdout.trim())
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("Run 'docker"));
    throw new LabError(`docker ${shown} failed (exit ${r.code}): ${msg.join(" ").slice(0, 600)}`);
  }
  return r.stdout;
}

/** An error the CLI prints as one line (no stack): what failed and how to fix it. */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabError";
  }
}

/**
 * Fails with the fix when the engine is unreachable. Returns the engine's cgroup version, which
 * decides how node containers get the rights a nested engine needs.
 */
export async function checkEngine(): Promise<{ serverVersion: string; cgroupVersion: string }> {
  const r = await dockerRaw(["info", "--format", "{{.ServerVersion}} {{.CgroupVersion}}"], {
    timeoutMs: 20_000,
  });
  if (r.code !== 0 || !r.stdout.trim() || r.stdout.startsWith(" ")) {
    const where = process.env.DOCKER_HOST
      ? `DOCKER_HOST=${process.env.DOCKER_HOST}`
      : "the default socket /var/run/docker.sock";
    throw new LabError(
      `no Docker engine answers at ${where}: start it (\`dockerd >/var/log/dockerd.log 2>&1 &\`, or \`systemctl start docker\`) ` +
        `or point DOCKER_HOST at a running engine (${r.stderr.trim().split("\n")[0] || "no answer"})`,
    );
  }
  const [serverVersion, cgroupVersion] = r.stdout.trim().split(/\s+/);
  return { serverVersion, cgroupVersion: cgroupVersion ?? "1" };
}

/** Seconds since `start` (performance.now()), one decimal. */
export function since(start: number): string {
  return ((performance.now() - start) / 1000).toFixed(1);
}
