/**
 * Real validators run on rendered text: `nginx -t`, `shellcheck`, `cloud-init schema`, `keepalived -t`.
 *
 * A missing validator is a failed test, with the Debian package to install in the message: a test
 * that passes because its checker was absent proves nothing. Set SWARM_HA_ALLOW_MISSING_VALIDATORS=1
 * on a workstation without them to skip those tests instead; the skip carries the same reason.
 */
import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export type ValidatorName = "nginx" | "shellcheck" | "cloud-init" | "keepalived";

/** Binary and the Debian package that provides it (`.ci/run` installs all four). */
export const VALIDATORS: Readonly<
  Record<ValidatorName, { readonly bin: string; readonly debianPackage: string }>
> = {
  nginx: { bin: "nginx", debianPackage: "nginx-light" },
  shellcheck: { bin: "shellcheck", debianPackage: "shellcheck" },
  "cloud-init": { bin: "cloud-init", debianPackage: "cloud-init" },
  keepalived: { bin: "keepalived", debianPackage: "keepalived" },
};

export const ALLOW_MISSING_ENV = "SWARM_HA_ALLOW_MISSING_VALIDATORS";

/** Outcome of one validator run: `ok` is its exit status, `output` its stdout and stderr. */
export interface ValidationResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly output: string;
}

/** The part of vitest's TestContext used to skip with a reason. */
export interface SkipContext {
  skip(note?: string): never;
}

/** Looks a binary up on PATH and in the sbin directories a non-login PATH often lacks. */
export function findBinary(bin: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter),
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, bin);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export function missingMessage(name: ValidatorName): string {
  const v = VALIDATORS[name];
  return (
    `validator "${v.bin}" is not installed, so the rendered output cannot be checked: ` +
    `apt-get install -y ${v.debianPackage} (or set ${ALLOW_MISSING_ENV}=1 to skip these checks)`
  );
}

/**
 * Path of a validator's binary. When it is missing the test fails naming the package to install, or,
 * with SWARM_HA_ALLOW_MISSING_VALIDATORS=1, is skipped with that reason (never a silent pass).
 */
export function requireValidator(
  ctx: SkipContext,
  name: ValidatorName,
  lookup: (bin: string) => string | undefined = findBinary,
): string {
  const path = lookup(VALIDATORS[name].bin);
  if (path) return path;
  const message = missingMessage(name);
  if (process.env[ALLOW_MISSING_ENV] === "1") {
    console.warn(`SKIPPED: ${message}`);
    ctx.skip(message);
  }
  throw new Error(message);
}

function withTempFile<T>(fileName: string, content: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "swarm-ha-validate-"));
  try {
    const path = join(dir, fileName);
    writeFileSync(path, content);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(bin: string, args: readonly string[]): ValidationResult {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 20_000 });
  if (r.error)
    return { ok: false, status: null, output: `${bin} could not run: ${r.error.message}` };
  return {
    ok: r.status === 0,
    status: r.status,
    output: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim(),
  };
}

/**
 * `nginx -t -c <file>`. The config names `user www-data`, /run/nginx.pid and /var/log/nginx, as on
 * the edge instances, so this runs as root (as CI does); upstreams are IPs, so no DNS is needed.
 */
export function nginxTest(ctx: SkipContext, conf: string): ValidationResult {
  const bin = requireValidator(ctx, "nginx");
  return withTempFile("nginx.conf", conf, (path) => run(bin, ["-t", "-c", path]));
}

/** `shellcheck -s sh` on a POSIX script (every severity, style included). */
export function shellcheck(ctx: SkipContext, script: string): ValidationResult {
  const bin = requireValidator(ctx, "shellcheck");
  return withTempFile("script.sh", script, (path) => run(bin, ["-s", "sh", path]));
}

/** `cloud-init schema --config-file` on a #cloud-config document. */
export function cloudInitSchema(ctx: SkipContext, userData: string): ValidationResult {
  const bin = requireValidator(ctx, "cloud-init");
  return withTempFile("user-data.yaml", userData, (path) =>
    run(bin, ["schema", "--config-file", path]),
  );
}

/** `keepalived -t -f <file>` (config test only; nothing is started). */
export function keepalivedTest(ctx: SkipContext, conf: string): ValidationResult {
  const bin = requireValidator(ctx, "keepalived");
  return withTempFile("keepalived.conf", conf, (path) => run(bin, ["-t", "-f", path]));
}

/** Throws with the validator's own output when it rejects the text, so the failure says why. */
export function assertValid(what: string, result: ValidationResult): void {
  if (!result.ok) {
    throw new Error(
      `${what} was rejected by its validator (exit ${result.status}):\n${result.output}`,
    );
  }
}

/**
 * A network interface `keepalived -t` accepts for a VRRP instance: it checks that the interface
 * exists, is not loopback and (without unicast peers) supports multicast. Rendered keepalived
 * configs name the instance's real NIC (ens5 on AWS), which CI lacks, so tests substitute this one.
 */
export function vrrpTestInterface(): string | undefined {
  const IFF_LOOPBACK = 0x8;
  const IFF_MULTICAST = 0x1000;
  try {
    for (const name of readdirSync("/sys/class/net").sort()) {
      const flags = Number.parseInt(
        readFileSync(`/sys/class/net/${name}/flags`, "utf8").trim(),
        16,
      );
      if (!(flags & IFF_LOOPBACK) && flags & IFF_MULTICAST) return name;
    }
  } catch {
    // no sysfs: no interface to offer
  }
  return undefined;
}

/** Validates XML (an SVG) with the real xmllint; a missing binary is a failure naming the package. */
export function xmllint(xml: string): void {
  const r = spawnSync("xmllint", ["--noout", "-"], { input: xml, encoding: "utf8" });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(
      "xmllint is not installed: apt-get install -y libxml2-utils (the package .ci/run installs)",
    );
  }
  if (r.status !== 0) throw new Error(`xmllint rejected the SVG: ${r.stderr || r.error?.message}`);
}

/**
 * The same checks inside the lab's balancer image of each Debian release (nginx 1.22 / keepalived
 * 2.2.7 on 12, nginx 1.26 / keepalived 2.3.3 on 13), so a config one release refuses fails a test
 * even where the host carries the other release's tools. One `docker run --rm -i` per image and
 * file: the text goes in on standard input (no bind mount, so a remote engine works too).
 */
export type InImageTool = "nginx" | "keepalived";

/** Set by .ci/run: without an engine the in-image checks fail instead of being skipped. */
export const REQUIRE_IMAGE_VALIDATORS_ENV = "SWARM_HA_REQUIRE_IMAGE_VALIDATORS";

/** Label on the validation containers (not swarm-ha.lab=1: `npm run lab -- down` leaves them be). */
export const VALIDATE_LABEL = "swarm-ha.validate=1";

export function validateInImage(image: string, tool: InImageTool, conf: string): ValidationResult {
  const check =
    tool === "nginx"
      ? "cat > /tmp/nginx.conf && exec nginx -t -c /tmp/nginx.conf"
      : "cat > /tmp/keepalived.conf && exec keepalived -t -f /tmp/keepalived.conf";
  const r = spawnSync(
    "docker",
    [
      "run",
      "--rm",
      "-i",
      "--label",
      VALIDATE_LABEL,
      "--entrypoint",
      "/usr/bin/sh",
      image,
      "-c",
      check,
    ],
    { input: conf, encoding: "utf8", timeout: 60_000 },
  );
  if (r.error)
    return {
      ok: false,
      status: null,
      output: `docker run ${image} could not run: ${r.error.message}`,
    };
  return {
    ok: r.status === 0,
    status: r.status,
    output: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim(),
  };
}
