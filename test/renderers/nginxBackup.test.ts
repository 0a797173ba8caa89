/**
 * The rendered nginx.conf, run by a real nginx against two local upstreams, when every primary has
 * just been marked failed (the leader drill that lost 1,803 requests to 502 "no live upstreams").
 * The scripted failing case first: the same config without the backup entries must answer 502.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderNginxConf } from "../../renderers/nginxConf";
import { requireValidator } from "../validators";

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A WAS stand-in on a port that refuses connections until it is started. */
async function startUpstream(port: number): Promise<void> {
  const srv = http.createServer((_req, res) => res.end("ok\n"));
  await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
  cleanups.push(() => srv.close());
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
}

/** Starts nginx on the config; returns the path of its error log. */
async function startNginx(bin: string, conf: string, listen: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(tmpdir(), "swarm-ha-nginx-"));
  const file = path.join(dir, "nginx.conf");
  // Run unprivileged-friendly: logs and temp paths in the scratch directory.
  fs.writeFileSync(file, conf.replace("/var/log/nginx/error.log", path.join(dir, "error.log")));
  const child: ChildProcess = spawn(bin, ["-p", dir, "-c", file, "-g", "daemon off;"], { stdio: "ignore" });
  cleanups.push(() => {
    child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(listen, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (up) return path.join(dir, "error.log");
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${listen}; see ${dir}/error.log`);
}

/** Both primaries refuse once (marked failed for fail_timeout), then both upstreams come back. */
async function afterEveryPrimaryFailed(
  ctx: Parameters<typeof requireValidator>[0],
  withBackups: boolean,
): Promise<{ codes: number[]; errorLog: string }> {
  const bin = requireValidator(ctx, "nginx");
  const [a, b, listen] = [await freePort(), await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(tmpdir(), "swarm-ha-nginx-pid-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  let conf = renderNginxConf({
    upstreams: [{ host: "127.0.0.1", port: a }, { host: "127.0.0.1", port: b }],
    listenPort: listen,
    user: process.getuid?.() === 0 ? "root" : undefined,
    pidFile: path.join(dir, "nginx.pid"),
  });
  if (!withBackups) conf = conf.split("\n").filter((l) => !/ backup;$/.test(l)).join("\n");
  // One worker process: the marks live in the shared zone anyway, this keeps the run small.
  conf = conf.replace("worker_processes auto;", "worker_processes 1;");
  const log = await startNginx(bin, conf, listen);
  const first = await get(listen); // nothing listens yet: every attempt is refused, both primaries marked
  await startUpstream(a);
  await startUpstream(b);
  const codes = [first, await get(listen), await get(listen)];
  return { codes, errorLog: fs.readFileSync(log, "utf8") };
}

describe("nginx with every primary marked failed (real nginx, local upstreams)", () => {
  it("without the backup entries answers 502 'no live upstreams' although both nodes are back (scripted failing case)", async (ctx) => {
    const { codes, errorLog } = await afterEveryPrimaryFailed(ctx, false);
    expect(codes).toEqual([502, 502, 502]);
    expect(errorLog).toContain("no live upstreams");
  });

  it("with the rendered backup entries serves the next requests at once", async (ctx) => {
    const { codes, errorLog } = await afterEveryPrimaryFailed(ctx, true);
    // The first request found nothing listening at all: a failure no balancer can avoid.
    expect(codes).toEqual([502, 200, 200]);
    expect(errorLog).not.toContain("no live upstreams");
  });
});
