/**
 * The shell the AWS balancers run when Pulumi pushes a config to them over SSH: each reads the new
 * file on standard input, refuses it unless the service's own checker accepts it on that host, and
 * only then installs it and reloads. POSIX sh, shellchecked in the tests like every rendered script.
 */
import { KEEPALIVED_PATHS } from "./keepalived";

const NGINX_CONF = "/etc/nginx/nginx.conf";

/** The common frame: stdin to a temp file (removed on any exit), `steps` in between, `set -eu`. */
function fromStdin(steps: readonly string[]): string {
  return ["set -eu", "tmp=$(mktemp)", "trap 'rm -f \"$tmp\"' EXIT", 'cat > "$tmp"', ...steps].join(
    "\n",
  );
}

/** Waits for cloud-init (which installs the packages) without failing where it is absent. */
const WAIT_FOR_CLOUD_INIT = "cloud-init status --wait >/dev/null 2>&1 || true";

/** nginx.conf from stdin: installed only if `nginx -t` accepts it, then nginx reloads (no restart). */
export function renderNginxConfPush(): string {
  return fromStdin([
    WAIT_FOR_CLOUD_INIT,
    'sudo nginx -t -q -c "$tmp"',
    `sudo install -m 0644 "$tmp" ${NGINX_CONF}`,
    "sudo systemctl reload nginx",
  ]);
}

/**
 * keepalived's notify script from stdin: root-owned and not writable by others (keepalived's
 * enable_script_security refuses anything else), syntax-checked with `sh -n`, then run with
 * `check`, whose DryRun association proves the instance role may move the address before a
 * takeover needs it.
 */
export function renderNotifyInstall(path: string = KEEPALIVED_PATHS.notifyScript): string {
  const file = safePath(path);
  return fromStdin([
    WAIT_FOR_CLOUD_INIT,
    'sh -n "$tmp"',
    `sudo install -d -m 0755 -o root -g root ${file.slice(0, file.lastIndexOf("/")) || "/"}`,
    `sudo install -m 0755 -o root -g root "$tmp" ${file}`,
    `sudo ${file} check`,
  ]);
}

/**
 * keepalived.conf from stdin: installed only if `keepalived -t` accepts it on this host (interface
 * included). A running keepalived is reloaded, not restarted: a restart of the MASTER would hand
 * the address over (and move the EIP) for a config change that may not need it.
 */
export function renderKeepalivedConfPush(path: string = KEEPALIVED_PATHS.conf): string {
  const file = safePath(path);
  return fromStdin([
    'sudo keepalived -t -f "$tmp"',
    `sudo install -m 0644 -o root -g root "$tmp" ${file}`,
    "sudo systemctl daemon-reload",
    "sudo systemctl enable keepalived",
    "if sudo systemctl is-active --quiet keepalived; then sudo systemctl reload keepalived; else sudo systemctl start keepalived; fi",
  ]);
}

/** Paths are interpolated into shell: absolute, plain characters, no "..". */
function safePath(path: string): string {
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(path) || path.split("/").includes("..")) {
    throw new Error(
      `script path must be absolute, without ".." or shell characters (got ${JSON.stringify(path)})`,
    );
  }
  return path;
}
