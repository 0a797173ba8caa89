/**
 * An HTTP load generator for the drill: N concurrent keep-alive connections, each looping GET on
 * one URL, for a bounded time or until stopped. Node's http/https only (autocannon would do, but
 * we need per-second buckets aligned with the drill timeline and the node that answered each
 * request, which it does not report).
 *
 * A request failed on a network error, a timeout, or any status outside 2xx/3xx (`GET /` on the
 * WAS never legitimately answers 4xx: a 404 or 429 from a broken balancer is a lost request). Answers are attributed to
 * the node that served them: NODE_NAME in the sample app's JSON body, else nginx's X-Upstream.
 */

import * as http from "http";
import * as https from "https";
import { isIP } from "net";
import type { LoadBucket, LoadHook, LoadSummary } from "../types";

export interface LoadOptions {
  /** The only URL requested (the stack's or the lab's entry point). */
  readonly url: string;
  /** Concurrent connections, each with one request in flight. Default 50. */
  readonly connections?: number;
  /** Hard bound: the load stops by itself after this many seconds. Default 300. */
  readonly maxDurationSeconds?: number;
  /** Per-request timeout. Default 3000 ms. */
  readonly timeoutMs?: number;
  /**
   * Host names (besides loopback and private addresses) the load may target, e.g. the stack's
   * own edge address read from its outputs. Anything else is refused.
   */
  readonly allowHosts?: readonly string[];
  /** Pause after a failed request so a refused port does not spin a core. Default 20 ms. */
  readonly failurePauseMs?: number;
}

/** Loopback, RFC 1918, link-local and unique-local addresses, plus localhost. */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) {
    const [a, b] = h.split(".").map(Number);
    return (
      a === 127 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    );
  }
  if (isIP(h) === 6)
    return h === "::1" || h.startsWith("fc") || h.startsWith("fd") || h.startsWith("fe80");
  return false;
}

/** Throws unless the URL is http(s) on a local address or an explicitly allowed host. */
export function assertLoadTarget(url: string, allowHosts: readonly string[] = []): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `load URL ${JSON.stringify(url)} is not a URL; pass e.g. http://127.0.0.1:8080/`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new Error(`load URL must be http or https (got ${u.protocol})`);
  }
  if (!isLocalHost(u.hostname) && !allowHosts.includes(u.hostname)) {
    throw new Error(
      `load URL host ${u.hostname} is neither a lab/loopback address nor this stack's entry point; the drill only loads its own target`,
    );
  }
  return u;
}

/** Whether an HTTP status counts as an answered request: 2xx or 3xx only. */
export function answeredOk(status: number): boolean {
  return status >= 200 && status < 400;
}

/** Nearest-rank percentile of an ascending array (0 for an empty one). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** NODE_NAME (or node/hostname) from a JSON body; undefined when the body is not such JSON. */
export function nodeFromBody(body: string): string | undefined {
  const trimmed = body.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const o = JSON.parse(trimmed) as Record<string, unknown>;
    for (const k of ["NODE_NAME", "nodeName", "node", "hostname"]) {
      if (typeof o[k] === "string" && o[k]) return o[k] as string;
    }
  } catch {
    // not JSON: attribute by header only
  }
  return undefined;
}

const MAX_BODY = 64 * 1024;

/**
 * Sockets that have carried a request. Node's `req.reusedSocket` is true only when the agent hands
 * out a free socket at once: a request that waited in the agent's queue is given a pooled
 * keep-alive socket on its 'free' event with reusedSocket false (Node 20; measured: a balancer
 * drain then counted 27 keep-alive close races as failures on "new" connections). So reuse is
 * tracked here, by socket.
 */
const usedSockets = new WeakSet<object>();
const STALE_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

interface Outcome {
  /**
   * The request died on a pooled keep-alive connection before any response byte (the server closed
   * it, e.g. a balancer shutting down). RFC 9110 9.2.2 lets a client resend an idempotent request
   * then; browsers and most HTTP clients do, so the load does too (bounded, and counted).
   */
  readonly staleConnection?: boolean;
  readonly ok: boolean;
  readonly ms: number;
  readonly cause?: string;
  readonly node?: string;
  readonly upstream?: string;
}

/** The load as a drill hook: start(), then stop() returns the summary. */
export class HttpLoad implements LoadHook {
  readonly url: URL;
  private readonly connections: number;
  private readonly maxMs: number;
  private readonly timeoutMs: number;
  private readonly failurePauseMs: number;
  private readonly agent: http.Agent;
  private readonly get: typeof http.get;
  private stopping = false;
  private startMs = 0;
  private endMs = 0;
  private workers: Promise<void>[] = [];
  private boundTimer?: NodeJS.Timeout;
  private readonly latencies: number[] = [];
  private readonly buckets: { ok: number; failed: number }[] = [];
  private readonly perNode: Record<string, number> = {};
  private readonly perUpstream: Record<string, number> = {};
  private readonly failures: Record<string, number> = {};
  private requests = 0;
  private failed = 0;
  private resent = 0;

  constructor(opts: LoadOptions) {
    this.url = assertLoadTarget(opts.url, opts.allowHosts);
    this.connections = opts.connections ?? 50;
    if (!Number.isInteger(this.connections) || this.connections < 1) {
      throw new Error(`connections must be a whole number >= 1 (got ${this.connections})`);
    }
    this.maxMs = (opts.maxDurationSeconds ?? 300) * 1000;
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.failurePauseMs = opts.failurePauseMs ?? 20;
    const https_ = this.url.protocol === "https:";
    const AgentClass = https_ ? https.Agent : http.Agent;
    this.agent = new AgentClass({
      keepAlive: true,
      maxSockets: this.connections,
      maxFreeSockets: this.connections,
    });
    this.get = (https_ ? https.get : http.get) as typeof http.get;
  }

  start(): void {
    if (this.startMs) throw new Error("load already started");
    this.startMs = performance.now();
    for (let i = 0; i < this.connections; i++) this.workers.push(this.loop());
    this.boundTimer = setTimeout(() => {
      this.stopping = true;
    }, this.maxMs);
    this.boundTimer.unref();
  }

  async stop(): Promise<LoadSummary> {
    this.stopping = true;
    if (this.boundTimer) clearTimeout(this.boundTimer);
    await Promise.all(this.workers);
    this.endMs ||= performance.now();
    this.agent.destroy();
    return this.summary();
  }

  /** Runs for `seconds` and returns the summary. */
  async runFor(seconds: number): Promise<LoadSummary> {
    this.start();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return this.stop();
  }

  private summary(): LoadSummary & { readonly perUpstream: Readonly<Record<string, number>> } {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const perSecond: LoadBucket[] = [];
    for (let i = 0; i < this.buckets.length; i++) {
      const b = this.buckets[i] ?? { ok: 0, failed: 0 };
      perSecond.push({ second: i, ok: b.ok, failed: b.failed });
    }
    const r = (x: number) => Math.round(x * 10) / 10;
    return {
      connections: this.connections,
      durationSeconds: r((this.endMs - this.startMs) / 1000),
      requests: this.requests,
      failed: this.failed,
      p50Ms: r(percentile(sorted, 50)),
      p99Ms: r(percentile(sorted, 99)),
      perSecond,
      perNode: { ...this.perNode },
      perUpstream: { ...this.perUpstream },
      failures: { ...this.failures },
      resentOnStaleConnection: this.resent,
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const t = performance.now();
      let o = await this.once();
      // One resend, on a new connection, only for a GET that died on a reused one before any byte
      // (another pooled connection may be just as stale); a failure of the resend counts.
      if (o.staleConnection) {
        this.resent++;
        o = await this.once(true);
      }
      o = { ...o, ms: performance.now() - t };
      this.record(o);
      if (!o.ok && !this.stopping) await new Promise((r) => setTimeout(r, this.failurePauseMs));
    }
    this.endMs = Math.max(this.endMs, performance.now());
  }

  private record(o: Outcome): void {
    const second = Math.floor((performance.now() - this.startMs) / 1000);
    while (this.buckets.length <= second) this.buckets.push({ ok: 0, failed: 0 });
    this.requests++;
    this.latencies.push(o.ms);
    if (o.ok) {
      this.buckets[second].ok++;
      const who = o.node ?? o.upstream;
      if (who) this.perNode[who] = (this.perNode[who] ?? 0) + 1;
    } else {
      this.buckets[second].failed++;
      this.failed++;
      const cause = o.cause ?? "unknown";
      this.failures[cause] = (this.failures[cause] ?? 0) + 1;
    }
    if (o.upstream) this.perUpstream[o.upstream] = (this.perUpstream[o.upstream] ?? 0) + 1;
  }

  private once(freshConnection = false): Promise<Outcome> {
    const t = performance.now();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Omit<Outcome, "ms">) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...o, ms: performance.now() - t });
      };
      const agent = freshConnection ? false : this.agent;
      const req = this.get(this.url, { agent, headers: { accept: "application/json" } }, (res) => {
        const upstreamHeader = res.headers["x-upstream"];
        const upstream = Array.isArray(upstreamHeader) ? upstreamHeader[0] : upstreamHeader;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const node = nodeFromBody(Buffer.concat(chunks).toString("utf8"));
          if (!answeredOk(status))
            done({ ok: false, cause: `status ${status}`, ...(upstream ? { upstream } : {}) });
          else done({ ok: true, ...(node ? { node } : {}), ...(upstream ? { upstream } : {}) });
        });
        res.on("error", (e: NodeJS.ErrnoException) =>
          done({ ok: false, cause: e.code ?? e.message }),
        );
      });
      const timer = setTimeout(() => {
        done({ ok: false, cause: "timeout" });
        req.destroy(new Error("timeout"));
      }, this.timeoutMs);
      let responded = false;
      let reused = false;
      req.on("socket", (socket) => {
        reused = req.reusedSocket || usedSockets.has(socket);
        usedSockets.add(socket);
      });
      req.on("response", () => {
        responded = true;
      });
      req.on("error", (e: NodeJS.ErrnoException) => {
        const stale =
          reused && !responded && (STALE_CODES.has(e.code ?? "") || e.message === "socket hang up");
        done({
          ok: false,
          cause: e.code ?? e.message,
          ...(stale ? { staleConnection: true } : {}),
        });
      });
    });
  }
}
