"use strict";
// The sample WAS application: a dependency-free HTTP server that reports which task answered,
// answers its health path, writes one access-log line per request to the shared log directory,
// and drains on SIGTERM so a rolling update or a node stop costs no request.
const http = require("http");
const fs = require("fs");
const os = require("os");
const path = require("path");

const PORT = Number(process.env.PORT || 8080);
const HEALTH_PATH = process.env.HEALTH_PATH || "/healthz";
const LOG_DIR = process.env.LOG_DIR || "/var/log/was";
const identity = {
  TASK_NAME: process.env.TASK_NAME || "",
  TASK_SLOT: process.env.TASK_SLOT || "",
  NODE_NAME: process.env.NODE_NAME || "",
  hostname: os.hostname(),
};
const logName = (identity.TASK_NAME || identity.hostname).replace(/[^A-Za-z0-9._-]/g, "_");
const logFile = path.join(LOG_DIR, `access-${logName}.log`);

// One append stream; if the directory cannot be written, log to stderr instead of crashing.
let logStream = null;
try {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  logStream = fs.createWriteStream(logFile, { flags: "a" });
  logStream.on("error", (e) => {
    process.stderr.write(`access log ${logFile} unwritable (${e.message}); logging to stderr\n`);
    logStream = null;
  });
} catch (e) {
  process.stderr.write(`access log ${logFile} unavailable (${e.message}); logging to stderr\n`);
}

function accessLog(req, status, started) {
  const line = `${new Date().toISOString()} ${req.socket.remoteAddress || "-"} ${req.method} ${req.url} ${status} ${(
    Number(process.hrtime.bigint() - started) / 1e6
  ).toFixed(1)}ms task=${identity.TASK_NAME || "-"} node=${identity.NODE_NAME || "-"}\n`;
  if (logStream) logStream.write(line);
  else process.stderr.write(line);
}

let draining = false;
const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const url = (req.url || "/").split("?")[0];
  let status = 200;
  let body;
  if (url === HEALTH_PATH) {
    // A draining task reports unhealthy so nothing new is routed to it.
    status = draining ? 503 : 200;
    body = draining ? "draining\n" : "ok\n";
    res.writeHead(status, { "Content-Type": "text/plain" });
  } else if (req.method === "GET" && url === "/") {
    body = JSON.stringify({ ...identity, pid: process.pid, time: new Date().toISOString() }) + "\n";
    res.writeHead(status, { "Content-Type": "application/json" });
  } else {
    status = 404;
    body = "not found\n";
    res.writeHead(status, { "Content-Type": "text/plain" });
  }
  if (draining) res.setHeader("Connection", "close");
  res.end(body);
  accessLog(req, status, started);
});
server.keepAliveTimeout = 65_000; // longer than nginx's upstream keepalive so nginx closes first

function shutdown(signal) {
  if (draining) return;
  draining = true;
  process.stderr.write(`${signal}: draining\n`);
  // Stop accepting, close idle keep-alive sockets, let in-flight requests finish.
  server.close(() => {
    const done = () => process.exit(0);
    if (logStream) logStream.end(done);
    else done();
  });
  if (typeof server.closeIdleConnections === "function") server.closeIdleConnections();
  // Bounded: the swarm's stop grace period is 5 s.
  setTimeout(() => process.exit(0), 4000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

server.listen(PORT, () => {
  process.stderr.write(
    `listening on :${PORT} (${JSON.stringify(identity)}), log ${logStream ? logFile : "stderr"}\n`,
  );
});
