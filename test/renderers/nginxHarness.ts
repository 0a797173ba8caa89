/** Real nginx against local upstreams, for the tests that run the rendered nginx.conf. */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach } from "vitest";
import { renderNginxConf } from "../../renderers/nginxConf";

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A WAS stand-in on a port that refuses connections until it is started; answers its body. */
export async function startUpstream(port: number, body = "ok\n"): Promise<void> {
  const srv = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
  cleanups.push(() => srv.close());
}

export function get(port: number): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port, path: "/", agent: false, timeout: 5000 },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
  });
}

/** A scratch directory removed after the test (pid file and the like). */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts nginx on the config with one worker process (the marks live in the shared zone anyway); returns its error log's path. */
export async function startNginx(bin: string, conf: string, listen: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(tmpdir(), "swarm-ha-nginx-"));
  const file = path.join(dir, "nginx.conf");
  // Run unprivileged-friendly: logs and temp paths in the scratch directory.
  fs.writeFileSync(
    file,
    conf
      .replace("/var/log/nginx/error.log", path.join(dir, "error.log"))
      .replace("worker_processes auto;", "worker_processes 1;"),
  );
  const child: ChildProcess = spawn(bin, ["-p", dir, "-c", file, "-g", "daemon off;"], {
    stdio: "ignore",
  });
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

/** Two local upstream ports and nginx's listen port, with the rendered config over them (runnable as any user). */
export async function twoUpstreams(): Promise<{
  a: number;
  b: number;
  listen: number;
  conf: string;
}> {
  const [a, b, listen] = [await freePort(), await freePort(), await freePort()];
  const conf = renderNginxConf({
    upstreams: [
      { host: "127.0.0.1", port: a },
      { host: "127.0.0.1", port: b },
    ],
    listenPort: listen,
    user: process.getuid?.() === 0 ? "root" : undefined,
    pidFile: path.join(scratchDir("swarm-ha-nginx-pid-"), "nginx.pid"),
  });
  return { a, b, listen, conf };
}
