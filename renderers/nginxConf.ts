/**
 * nginx.conf for the balancer tier: one upstream over every node that may run a WAS task,
 * least_conn, passive health checks and bounded retries. The AWS edge instances and the lab's
 * nginx containers are configured from this one function.
 *
 * Nodes without a task refuse the connection at once (host-mode port closed); nginx marks them
 * failed for `failTimeoutSeconds` and retries the request on another upstream, so a node that stops
 * or has no task costs a retry, not a failed request.
 *
 * Every node is listed twice: as a primary with passive checks, and again as a `backup` that is
 * never marked failed (max_fails=0). When every primary is marked failed at once (one slow answer
 * each under heavy load, e.g. during a leader election), nginx's least_conn finds no primary and
 * switches to the backup group instead of answering 502 "no live upstreams" for fail_timeout
 * (nginx src/http/modules/ngx_http_upstream_least_conn_module.c: "no peer found" -> peers->next).
 */
import { isIpv4OrHostName } from "../base/ipv4";

/** The path nginx answers itself (keepalived's check, the edge drill's takeover probe). */
export const NGINX_HEALTH_PATH = "/nginx-health";

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

export interface NginxModel {
  /** Every node that may run a WAS task; order is kept stable so a re-render is byte-identical. */
  readonly upstreams: readonly Upstream[];
  /** Port nginx listens on. Default 80. */
  readonly listenPort?: number;
  /** Path answered by nginx itself, for keepalived and external checks. Default /nginx-health. */
  readonly healthPath?: string;
  /** Worker user; Debian and Ubuntu run nginx workers as www-data. Default www-data. */
  readonly user?: string;
  /** pid file. Default /run/nginx.pid. */
  readonly pidFile?: string;
}

/** Passive health check and retry settings (measured in the lab; see README "Tuning"). */
export const NGINX_TUNING = {
  maxFails: 1,
  /**
   * How long a node marked failed is skipped; nginx tries it again only when this expires, and it
   * counts in whole seconds (`now - peer->checked <= peer->fail_timeout` with now = ngx_time(), in
   * ngx_http_upstream_least_conn_module.c and ngx_http_upstream_round_robin.c), so the real skip is
   * up to fail_timeout + 1 s. It bounds how long a replica swarm restored on a node that had none
   * stays idle while the others carry its share: with the first round's 10 s the lab drill's
   * rescheduled replica got no request in its 3 s load tail (CI); with 1 s it answers within 2 s
   * (test/renderers/nginxRecovery.test.ts). The cost is one probe every 1-2 s to a dead node: that
   * one request waits the connect timeout, then is resent.
   */
  failTimeoutSeconds: 1,
  connectTimeoutSeconds: 1,
  /**
   * How long an upstream may stay silent before nginx resends the request to the next one. It must
   * be shorter than a client's patience (the drill's load gives up after 3 s, wrk after 2 s): a
   * partitioned node never resets its connections, so requests already on it wait exactly this long,
   * then succeed elsewhere. `GET /` on the WAS answers in milliseconds.
   */
  readTimeoutSeconds: 2,
  /**
   * Upper bound of attempts one request may make. The tries used are min(2 x upstreams, this), each
   * node once as a primary and once as a backup (see nextUpstreamTries): a node
   * without a task refuses at once, so trying every node costs little, and a request then fails only
   * when no node has a running task (measured: with 3 tries and 3 empty nodes out of 6, 2 of 165k
   * requests got a 502 during a manager drill).
   */
  maxNextUpstreamTries: 8,
  /**
   * The backup entries' max_fails: 0 disables failure accounting (nginx docs, server max_fails), so
   * the backup group always has a peer to try and a request only fails when its tries run out.
   */
  backupMaxFails: 0,
  nextUpstreamTimeoutSeconds: 6,
  keepalive: 32,
} as const;

/**
 * How many attempts one request may make: every node as a primary and again as a backup, up to
 * maxNextUpstreamTries. A primary marked failed is skipped, not tried, so it costs no attempt.
 */
export function nextUpstreamTries(upstreams: number): number {
  return Math.max(1, Math.min(2 * upstreams, NGINX_TUNING.maxNextUpstreamTries));
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

export function renderNginxConf(m: NginxModel): string {
  if (m.upstreams.length === 0) throw new Error("nginx needs at least one upstream node");
  const seen = new Set<string>();
  for (const u of m.upstreams) {
    if (!isIpv4OrHostName(u.host) || !validPort(u.port)) {
      throw new Error(
        `invalid upstream ${JSON.stringify(u)}: host must be an IPv4 address or DNS name, port 1-65535`,
      );
    }
    // A node listed twice would get twice its share of requests under least_conn's tie-breaking.
    const key = `${u.host.toLowerCase()}:${u.port}`;
    if (seen.has(key)) throw new Error(`upstream ${key} is listed twice`);
    seen.add(key);
  }
  const t = NGINX_TUNING;
  const listen = m.listenPort ?? 80;
  if (!validPort(listen)) throw new Error(`listenPort must be 1-65535 (got ${listen})`);
  const health = m.healthPath ?? NGINX_HEALTH_PATH;
  // These are pasted into nginx directives: anything but plain tokens could end a directive early.
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(health))
    throw new Error(
      `healthPath must be a URL path like /nginx-health (got ${JSON.stringify(health)})`,
    );
  if (m.user !== undefined && !/^[a-z_][a-z0-9_-]*$/.test(m.user))
    throw new Error(`user must be a login name (got ${JSON.stringify(m.user)})`);
  if (m.pidFile !== undefined && !/^\/[A-Za-z0-9._\/-]+$/.test(m.pidFile)) {
    throw new Error(`pidFile must be an absolute path (got ${JSON.stringify(m.pidFile)})`);
  }
  const primaries = m.upstreams.map(
    (u) =>
      `    server ${u.host}:${u.port} max_fails=${t.maxFails} fail_timeout=${t.failTimeoutSeconds}s;`,
  );
  const backups = m.upstreams.map(
    (u) => `    server ${u.host}:${u.port} max_fails=${t.backupMaxFails} backup;`,
  );
  const servers = [
    ...primaries,
    "    # The same nodes again, never marked failed: used only when every primary is marked failed or",
    '    # already tried by this request, so a burst of slow answers cannot leave "no live upstreams".',
    ...backups,
  ].join("\n");
  return `# Rendered by swarm-ha (renderers/nginxConf.ts); do not edit by hand.
user ${m.user ?? "www-data"};
worker_processes auto;
pid ${m.pidFile ?? "/run/nginx.pid"};
error_log /var/log/nginx/error.log warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
  server_tokens off;
  keepalive_timeout 30s;

  upstream was {
    least_conn;
    # Shared memory: every worker process sees the same failure marks of the passive checks.
    zone was_upstreams 1m;
${servers}
    keepalive ${t.keepalive};
  }

  server {
    listen ${listen} default_server;

    location = ${health} {
      default_type text/plain;
      # Answered by this nginx itself: the edge drill's takeover probe (no upstream latency in it).
      add_header X-Balancer $hostname always;
      return 200 "ok\\n";
    }

    location / {
      proxy_pass http://was;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_connect_timeout ${t.connectTimeoutSeconds}s;
      proxy_read_timeout ${t.readTimeoutSeconds}s;
      proxy_send_timeout ${t.readTimeoutSeconds}s;
      # Retries only requests nginx may safely resend (not non-idempotent ones already sent).
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_next_upstream_tries ${nextUpstreamTries(m.upstreams.length)};
      proxy_next_upstream_timeout ${t.nextUpstreamTimeoutSeconds}s;
      add_header X-Upstream $upstream_addr always;
      # Which balancer answered: the edge drill's takeover is the first answer from the standby.
      add_header X-Balancer $hostname always;
    }
  }
}
`;
}
