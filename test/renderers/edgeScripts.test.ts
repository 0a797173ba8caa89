/**
 * The shell the balancers and the NFS server run when Pulumi pushes to them: snapshots, `shellcheck`,
 * and real runs against fake `sudo`/`nginx`/`exportfs` on PATH, each with the case that must fail.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  renderKeepalivedConfPush,
  renderNginxConfPush,
  renderNotifyInstall,
} from "../../renderers/edgeScripts";
import { renderNfsReadyCheck } from "../../renderers/nfsScripts";
import { assertValid, shellcheck } from "../validators";

const scripts: [string, string][] = [
  ["nginx-conf-push", renderNginxConfPush()],
  ["keepalived-notify-install", renderNotifyInstall()],
  ["keepalived-conf-push", renderKeepalivedConfPush()],
  ["nfs-ready-check", renderNfsReadyCheck("/srv/was-logs")],
];

describe("machine scripts: snapshots and shellcheck", () => {
  it.for(scripts)("%s matches its snapshot", async ([name, script]) => {
    await expect(script).toMatchFileSnapshot(`__snapshots__/${name}.sh`);
  });
  it.for(scripts)("%s is shellcheck-clean as POSIX sh", ([name, script], ctx) => {
    assertValid(name, shellcheck(ctx, script));
  });
  it("refuses paths that would break out of the shell word", () => {
    expect(() => renderNotifyInstall("/etc/keepalived/x;reboot")).toThrow(/script path/);
    expect(() => renderKeepalivedConfPush("etc/keepalived.conf")).toThrow(/script path/);
    expect(() => renderNfsReadyCheck("/srv/logs'; reboot; '")).toThrow(/export path/);
  });
});

/** A directory of fake commands: `name` -> sh body. Every call is logged to $dir/log. */
function fakeBin(commands: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "swarm-ha-fakebin-"));
  for (const [name, body] of Object.entries(commands)) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${dir}/log"\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

function runScript(script: string, bin: string, stdin = "") {
  const r = spawnSync("sh", ["-c", script], {
    input: stdin,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` },
  });
  let log = "";
  try {
    log = readFileSync(join(bin, "log"), "utf8");
  } catch {
    // no command ran
  }
  return { status: r.status, stderr: r.stderr, log };
}

describe("machine scripts: real runs against fake commands", () => {
  const dirs: string[] = [];
  const bin = (commands: Record<string, string>) => {
    const d = fakeBin({ "cloud-init": "exit 0", sudo: 'exec "$@"', ...commands });
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("nginx push: a config nginx -t rejects is never installed nor reloaded", () => {
    const d = bin({ nginx: "exit 1", install: "exit 0", systemctl: "exit 0" });
    const r = runScript(renderNginxConfPush(), d, "broken {");
    expect(r.status).not.toBe(0);
    expect(r.log).not.toMatch(/^install /m);
    expect(r.log).not.toMatch(/^systemctl /m);
  });
  it("nginx push: an accepted config is installed, then nginx reloads", () => {
    const d = bin({ nginx: "exit 0", install: "exit 0", systemctl: "exit 0" });
    const r = runScript(renderNginxConfPush(), d, "events {}");
    expect(r.status).toBe(0);
    const installed = r.log.search(/^install -m 0644 \S+ \/etc\/nginx\/nginx.conf$/m);
    expect(installed).toBeGreaterThan(r.log.search(/^nginx -t -q -c /m));
    expect(r.log.search(/^systemctl reload nginx$/m)).toBeGreaterThan(installed);
  });
  it("keepalived push: starts a stopped keepalived, reloads a running one (never restarts)", () => {
    const stopped = bin({
      keepalived: "exit 0",
      install: "exit 0",
      systemctl: '[ "$1" = is-active ] && exit 3; exit 0',
    });
    expect(runScript(renderKeepalivedConfPush(), stopped, "x").log).toContain(
      "systemctl start keepalived",
    );
    const running = bin({ keepalived: "exit 0", install: "exit 0", systemctl: "exit 0" });
    const r = runScript(renderKeepalivedConfPush(), running, "x");
    expect(r.log).toContain("systemctl reload keepalived");
    expect(r.log).not.toMatch(/restart|systemctl start/);
  });
  it("nfs check: fails when only a longer path sharing the prefix is exported", () => {
    const d = bin({
      systemctl: "exit 0",
      exportfs: "printf '/srv/was-logs-old\\t10.42.0.0/19(rw)\\n'",
    });
    const r = runScript(renderNfsReadyCheck("/srv/was-logs"), d);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("does not export /srv/was-logs");
  });
  it("nfs check: fails when nfs-server is not active", () => {
    const d = bin({
      systemctl: "exit 3",
      exportfs: "printf '/srv/was-logs\\t10.42.0.0/19(rw)\\n'",
    });
    expect(runScript(renderNfsReadyCheck("/srv/was-logs"), d).status).not.toBe(0);
  });
  it("nfs check: passes when the path is exported (alone on its line, as exportfs -v prints long paths)", () => {
    const d = bin({
      systemctl: "exit 0",
      exportfs: "printf '/srv/was-logs\\n\\t\\t10.42.0.0/19(rw)\\n'",
    });
    expect(runScript(renderNfsReadyCheck("/srv/was-logs"), d).status).toBe(0);
  });
});
