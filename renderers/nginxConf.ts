/**
 * nginx.conf for the balancer tier: one upstream over every node that may run a WAS task,
 * least_conn, passive health checks and bounded retries. The AWS edge instances and the lab's
 * nginx containers are configured from this one function.
 *
 * Nodes without a task refuse the connection at once (host-mode port closed); nginx marks them
 * failed for `failTimeoutSeconds` and retries the request on another upstream, so a node that stops
 * or has no task costs a retry, not a failed request.
 */

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
  failTimeoutSeconds: 10,
  connectTimeoutSeconds: 1,
  readTimeoutSeconds: 3,
  nextUpstreamTries: 3,
  nextUpstreamTimeoutSeconds: 6,
  keepalive: 32,
} as const;

export function renderNginxConf(m: NginxModel): string {
  if (m.upstreams.length === 0) throw new Error("nginx needs at least one upstream node");
  for (const u of m.upstreams) {
    if (!/^[A-Za-z0-9.-]+$/.test(u.host) || !Number.isInteger(u.port) || u.port < 1 || u.port > 65535) {
      throw new Error(`invalid upstream ${JSON.stringify(u)}`);
    }
  }
  const t = NGINX_TUNING;
  const listen = m.listenPort ?? 80;
  const health = m.healthPath ?? "/nginx-health";
  const servers = m.upstreams
    .map((u) => `    server ${u.host}:${u.port} max_fails=${t.maxFails} fail_timeout=${t.failTimeoutSeconds}s;`)
    .join("\n");
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
${servers}
    keepalive ${t.keepalive};
  }

  server {
    listen ${listen} default_server;

    location = ${health} {
      default_type text/plain;
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
      proxy_next_upstream_tries ${t.nextUpstreamTries};
      proxy_next_upstream_timeout ${t.nextUpstreamTimeoutSeconds}s;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}
