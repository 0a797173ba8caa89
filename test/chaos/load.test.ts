import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertLoadTarget,
  HttpLoad,
  isLocalHost,
  nodeFromBody,
  percentile,
} from "../../chaos/load/load";

// A local server on 127.0.0.1: every 5th request answers 503, every 7th (not 5th) is delayed past
// the client timeout, the rest answer JSON naming one of two nodes, with an X-Upstream header.
let server: http.Server;
let url: string;
let served = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const n = ++served;
    if (n % 5 === 0) {
      res.statusCode = 503;
      res.end("unavailable");
      return;
    }
    const answer = () => {
      res.setHeader("content-type", "application/json");
      res.setHeader("x-upstream", n % 2 ? "10.0.0.11:8080" : "10.0.0.12:8080");
      res.end(
        JSON.stringify({ NODE_NAME: n % 2 ? "w1" : "w2", TASK_NAME: `was.${n % 2 ? 1 : 2}` }),
      );
    };
    if (n % 7 === 0) setTimeout(answer, 400);
    else setTimeout(answer, 2);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("HttpLoad against a local server", () => {
  it("counts ok, 5xx and timeouts, buckets per second, percentiles and answers per node", async () => {
    served = 0;
    const load = new HttpLoad({ url, connections: 20, timeoutMs: 150, failurePauseMs: 0 });
    const s = await load.runFor(1.5);
    // Every request the client counted reached the server (timeouts included); none is lost or double counted.
    expect(s.requests).toBe(served);
    expect(s.requests).toBeGreaterThan(200);
    const fives = s.failures["status 503"] ?? 0;
    const timeouts = s.failures["timeout"] ?? 0;
    expect(fives).toBeGreaterThan(0);
    expect(timeouts).toBeGreaterThan(0);
    expect(s.failed).toBe(fives + timeouts);
    // The server's own rule: a fifth of requests are 503 (within the last in-flight window).
    expect(Math.abs(fives - Math.floor(served / 5))).toBeLessThanOrEqual(20);
    expect(s.perSecond.reduce((a, b) => a + b.ok + b.failed, 0)).toBe(s.requests);
    expect(s.perSecond.reduce((a, b) => a + b.failed, 0)).toBe(s.failed);
    expect(s.perSecond.map((b) => b.second)).toEqual([0, 1]);
    expect(Object.keys(s.perNode).sort()).toEqual(["w1", "w2"]);
    expect(s.perNode.w1 + s.perNode.w2).toBe(s.requests - s.failed);
    expect(Object.keys(s.perUpstream ?? {}).sort()).toEqual(["10.0.0.11:8080", "10.0.0.12:8080"]);
    expect(s.connections).toBe(20);
    expect(s.durationSeconds).toBeGreaterThanOrEqual(1.5);
    expect(s.durationSeconds).toBeLessThan(2.5);
    // Fast answers take ~2 ms; timeouts cost 150 ms and are over 1 % of requests.
    expect(s.p50Ms).toBeGreaterThanOrEqual(2);
    expect(s.p50Ms).toBeLessThan(100);
    expect(s.p99Ms).toBeGreaterThanOrEqual(150);
  });

  it("counts refused connections as failed", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const s = await new HttpLoad({
      url: `http://127.0.0.1:${port}/`,
      connections: 2,
      failurePauseMs: 50,
    }).runFor(0.3);
    expect(s.requests).toBeGreaterThan(0);
    expect(s.failed).toBe(s.requests);
    expect(Object.keys(s.failures)).toEqual(["ECONNREFUSED"]);
  });

  it("stops by itself at the duration bound", async () => {
    const load = new HttpLoad({ url, connections: 2, maxDurationSeconds: 0.3 });
    load.start();
    await new Promise((r) => setTimeout(r, 700));
    const before = served;
    await new Promise((r) => setTimeout(r, 100));
    expect(served).toBe(before);
    const s = await load.stop();
    expect(s.durationSeconds).toBeLessThan(0.7);
  });
});

describe("load helpers", () => {
  it("refuses anything but lab/loopback addresses or an allowed host", () => {
    expect(isLocalHost("127.0.0.1")).toBe(true);
    expect(isLocalHost("172.20.0.5")).toBe(true);
    expect(isLocalHost("172.32.0.5")).toBe(false);
    expect(isLocalHost("[::1]")).toBe(true);
    expect(() => assertLoadTarget("http://example.com/")).toThrow(
      /neither a lab\/loopback address/,
    );
    expect(assertLoadTarget("http://203.0.113.7/", ["203.0.113.7"]).hostname).toBe("203.0.113.7");
    expect(() => assertLoadTarget("ftp://127.0.0.1/")).toThrow(/http or https/);
    expect(() => new HttpLoad({ url: "http://127.0.0.1/", connections: 0 })).toThrow(/connections/);
  });

  it("nearest-rank percentiles", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it("reads the node from the sample app's JSON", () => {
    expect(nodeFromBody('{"NODE_NAME":"w3","TASK_NAME":"was.2.x"}')).toBe("w3");
    expect(nodeFromBody("<html>")).toBeUndefined();
    expect(nodeFromBody("{broken")).toBeUndefined();
  });
});

describe("HttpLoad and connections the server closes", () => {
  // Every 4th request on a connection that already served one is dropped unanswered (the socket is
  // destroyed), as a balancer shutting down does to idle keep-alive connections. A first request on
  // a fresh connection is reset too when `resetFresh` is set: that one must stay a failure.
  async function serve(
    resetFresh: boolean,
  ): Promise<{ server: http.Server; url: string; stats: { resets: number; answered: number } }> {
    const stats = { resets: 0, answered: 0 };
    let n = 0;
    const server = http.createServer((req, res) => {
      const perSocket = ((req.socket as unknown as { served?: number }).served ?? 0) + 1;
      (req.socket as unknown as { served?: number }).served = perSocket;
      n++;
      if ((perSocket > 1 && n % 4 === 0) || (resetFresh && perSocket === 1)) {
        stats.resets++;
        req.socket.destroy();
        return;
      }
      stats.answered++;
      res.end(JSON.stringify({ NODE_NAME: "w1" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, stats };
  }

  it("resends a GET that died unanswered on a reused connection, counts it once, and reports the resends", async () => {
    const { server, url: u, stats } = await serve(false);
    try {
      const s = await new HttpLoad({ url: u, connections: 5, failurePauseMs: 0 }).runFor(0.6);
      expect(stats.resets).toBeGreaterThan(10);
      expect(s.resentOnStaleConnection).toBeGreaterThanOrEqual(stats.resets - 5);
      expect(s.requests).toBe(stats.answered + s.failed);
    } finally {
      server.close();
    }
  });

  it("resends a GET that waited in the agent's queue and then died on a pooled connection (Node says reusedSocket false)", async () => {
    const { server, url: u, stats } = await serve(false);
    try {
      const load = new HttpLoad({ url: u, connections: 2, failurePauseMs: 0 });
      // One socket for two loops: every request of the second loop waits in the agent's queue and is
      // handed the pooled socket on its 'free' event, the path on which Node leaves reusedSocket false.
      (load as unknown as { agent: { maxSockets: number } }).agent.maxSockets = 1;
      const s = await load.runFor(0.6);
      expect(stats.resets).toBeGreaterThan(5);
      expect(s.failed).toBe(0);
      expect(s.resentOnStaleConnection).toBeGreaterThanOrEqual(stats.resets - 2);
      expect(s.requests).toBe(stats.answered);
    } finally {
      server.close();
    }
  });

  it("still counts a reset on a fresh connection as a failure", async () => {
    const { server, url: u, stats } = await serve(true);
    try {
      const s = await new HttpLoad({ url: u, connections: 2, failurePauseMs: 5 }).runFor(0.4);
      expect(stats.answered).toBe(0);
      expect(s.failed).toBe(s.requests);
      expect(s.requests).toBeGreaterThan(0);
      expect(s.failures.ECONNRESET ?? 0).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});

describe("what counts as a failed request", () => {
  it("any answer outside 2xx/3xx fails: a 404 or 429 from a broken balancer is a lost request", async () => {
    const codes = [200, 301, 404, 429, 503];
    let i = 0;
    const s4 = http.createServer((_req, res) => {
      res.statusCode = codes[i++ % codes.length];
      res.end("x");
    });
    await new Promise<void>((r) => s4.listen(0, "127.0.0.1", r));
    const s = await new HttpLoad({
      url: `http://127.0.0.1:${(s4.address() as AddressInfo).port}/`,
      connections: 1,
      failurePauseMs: 0,
    }).runFor(0.3);
    await new Promise<void>((r) => s4.close(() => r()));
    expect(s.requests).toBeGreaterThanOrEqual(5);
    expect(Object.keys(s.failures).sort()).toEqual(["status 404", "status 429", "status 503"]);
    expect(s.failed).toBe(
      s.failures["status 404"] + s.failures["status 429"] + s.failures["status 503"],
    );
    expect(s.requests - s.failed).toBeGreaterThanOrEqual(2);
  });
});
