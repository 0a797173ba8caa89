/**
 * nginx.conf and keepalived.conf validated inside the lab's balancer image of each Debian release
 * (test/validators.ts validateInImage): the host's tools are one release's; the AWS balancers run
 * Ubuntu's (lab/README.md "Lab and AWS versions"). The images are found by content tag or built as
 * `npm run lab` builds them (lab/images.ts ensureLabImage; cached after the first run). Without a
 * Docker engine these tests skip, saying why, unless SWARM_HA_REQUIRE_IMAGE_VALIDATORS=1 (CI).
 */
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureLabImage } from "../../lab/images";
import { DEBIAN_RELEASES, type DebianRelease } from "../../lab/settings";
import { CHECK_SHELL, KeepalivedModel, renderKeepalivedConf } from "../../renderers/keepalived";
import { renderNginxConf } from "../../renderers/nginxConf";
import {
  assertValid,
  REQUIRE_IMAGE_VALIDATORS_ENV,
  SkipContext,
  validateInImage,
} from "../validators";

const LAB_PRIMARY: KeepalivedModel = {
  nodeName: "swarm-ha-nginx-1",
  role: "primary",
  interface: "eth0", // the validation container's own interface, as in the lab's balancers
  selfIp: "172.28.5.10",
  peerIp: "172.28.5.11",
  floating: { kind: "vip", address: "172.28.5.100/24" },
};
// The AWS render names ens5; the container has eth0, the only thing that differs.
const AWS_PRIMARY: KeepalivedModel = {
  ...LAB_PRIMARY,
  nodeName: "edge-0",
  selfIp: "10.43.128.10",
  peerIp: "10.43.129.10",
  floating: { kind: "eip" },
};
const NGINX_CONF = renderNginxConf({
  upstreams: [10, 11, 12, 13].map((h) => ({ host: `10.42.0.${h}`, port: 8080 })),
});

function engineProblem(): string | undefined {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
    encoding: "utf8",
    timeout: 20_000,
  });
  if (r.error)
    return (r.error as NodeJS.ErrnoException).code === "ENOENT"
      ? "the docker CLI is not installed"
      : r.error.message;
  return r.status === 0 ? undefined : (r.stderr.trim().split("\n")[0] ?? "docker info failed");
}

const images = new Map<DebianRelease, string>();
let unavailable: string | undefined;

beforeAll(async () => {
  const problem = engineProblem();
  if (problem) {
    unavailable = `no Docker engine (${problem}), so nginx.conf and keepalived.conf cannot be checked in the lab images of Debian ${DEBIAN_RELEASES.join(" and ")}: start dockerd (or set ${REQUIRE_IMAGE_VALIDATORS_ENV}=1 to make this a failure)`;
    return;
  }
  // Found by content tag when `npm run lab` (or an earlier run) built it; else built here, once.
  for (const release of DEBIAN_RELEASES) {
    images.set(
      release,
      await ensureLabImage("nginx", release, (l) => console.log(`[image validators] ${l.trim()}`)),
    );
  }
}, 30 * 60_000);

function imageOf(ctx: SkipContext, release: DebianRelease): string {
  if (unavailable) {
    if (process.env[REQUIRE_IMAGE_VALIDATORS_ENV] === "1") throw new Error(unavailable);
    console.warn(`SKIPPED: ${unavailable}`);
    ctx.skip(unavailable);
  }
  return images.get(release)!;
}

/** Lines a validator prints as warnings: a newer release warning today refuses tomorrow. */
const warnings = (output: string) =>
  output.split("\n").filter((l) => /\[warn\]|warning|insecure|deprecated|disabling/i.test(l));

const EXPECTED_LINES: Readonly<Record<DebianRelease, { keepalived: RegExp; nginx: RegExp }>> = {
  12: { keepalived: /Keepalived v2\.2\./, nginx: /nginx\/1\.22\./ },
  13: { keepalived: /Keepalived v2\.3\./, nginx: /nginx\/1\.26\./ },
};

describe.each(DEBIAN_RELEASES)("in the lab's Debian %i balancer image", (release) => {
  it("carries the keepalived and nginx lines the README names", (ctx) => {
    const image = imageOf(ctx, release);
    const r = spawnSync(
      "docker",
      [
        "run",
        "--rm",
        "--entrypoint",
        "/usr/bin/sh",
        image,
        "-c",
        "keepalived --version 2>&1 | head -n 1; nginx -v 2>&1",
      ],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(EXPECTED_LINES[release].keepalived);
    expect(r.stdout).toMatch(EXPECTED_LINES[release].nginx);
  });

  it("nginx -t accepts the rendered nginx.conf, without a warning", (ctx) => {
    const r = validateInImage(imageOf(ctx, release), "nginx", NGINX_CONF);
    assertValid(`nginx.conf in the Debian ${release} image`, r);
    expect(warnings(r.output)).toEqual([]);
  });

  it.for<[string, KeepalivedModel]>([
    ["lab primary (floating VIP)", LAB_PRIMARY],
    ["AWS primary (EIP holder marker)", AWS_PRIMARY],
  ])("keepalived -t accepts the %s, without a warning", ([what, model], ctx) => {
    const r = validateInImage(imageOf(ctx, release), "keepalived", renderKeepalivedConf(model));
    assertValid(`keepalived.conf (${what}) in the Debian ${release} image`, r);
    expect(warnings(r.output)).toEqual([]);
  });

  it("the validators are live: a typo in nginx.conf fails nginx -t", (ctx) => {
    const r = validateInImage(
      imageOf(ctx, release),
      "nginx",
      NGINX_CONF.replace("least_conn;", "least_conn_typo;"),
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/unknown directive "least_conn_typo"/);
  });
});

describe("a keepalived.conf one release refuses fails here", () => {
  // The check as rendered before the fix: through /bin/sh, a merged-/usr symlink (/bin -> usr/bin).
  const oldConf = renderKeepalivedConf(LAB_PRIMARY).replace(
    `script "${CHECK_SHELL} -c`,
    'script "/bin/sh -c',
  );

  it("the rendered check runs through the real shell, not the /bin symlink", () => {
    expect(CHECK_SHELL).toBe("/usr/bin/sh");
    expect(oldConf).toContain('script "/bin/sh -c');
    expect(renderKeepalivedConf(LAB_PRIMARY)).not.toContain('"/bin/sh -c');
  });

  it("Debian 13's keepalived 2.3 refuses the old /bin/sh check (Debian 12's 2.2 let it through)", (ctx) => {
    const on13 = validateInImage(imageOf(ctx, 13), "keepalived", oldConf);
    expect(on13.ok).toBe(false);
    expect(on13.output).toMatch(/chk_nginx.*insecure|insecure.*chk_nginx/);
    // Why the host's and Debian 12's validators could not catch it.
    const on12 = validateInImage(imageOf(ctx, 12), "keepalived", oldConf);
    expect(on12.ok).toBe(true);
  });
});
