import { describe, expect, it } from "vitest";
import {
  nextUpstreamTries,
  NGINX_TUNING,
  renderNginxConf,
  Upstream,
} from "../../renderers/nginxConf";
import { assertValid, nginxTest } from "../validators";

function nodes(n: number, port = 8080): Upstream[] {
  // 10.42.<subnet>.<host>: distinct private addresses, as the cluster's subnets would hand out.
  return Array.from({ length: n }, (_, i) => ({
    host: `10.42.${Math.floor(i / 200)}.${10 + (i % 200)}`,
    port,
  }));
}

/** The `server` lines of the `upstream was` block, as host:port strings in order (backups or primaries). */
function upstreamServers(conf: string, backup = false): string[] {
  const block = /upstream was \{([\s\S]*?)\n {2}\}/.exec(conf);
  if (!block) throw new Error("no upstream block in the rendered config");
  return [...block[1].matchAll(/^\s*server (\S+) (.*);$/gm)]
    .filter((m) => / backup$/.test(m[2]) === backup)
    .map((m) => m[1]);
}

describe("renderNginxConf", () => {
  for (const n of [1, 4, 100]) {
    it(`passes nginx -t with ${n} upstream(s) and lists exactly those`, (ctx) => {
      const upstreams = nodes(n);
      const conf = renderNginxConf({ upstreams });
      assertValid(`nginx.conf with ${n} upstreams`, nginxTest(ctx, conf));
      expect(upstreamServers(conf)).toEqual(upstreams.map((u) => `${u.host}:${u.port}`));
      expect(upstreamServers(conf, true)).toEqual(upstreams.map((u) => `${u.host}:${u.port}`));
    });
  }

  it("matches the committed snapshot (4 nodes)", async () => {
    await expect(renderNginxConf({ upstreams: nodes(4) })).toMatchFileSnapshot(
      "__snapshots__/nginx.4-nodes.conf",
    );
  });

  it("matches the committed snapshot (custom listen port, health path, user, pid)", async () => {
    const conf = renderNginxConf({
      upstreams: [
        { host: "172.20.0.3", port: 9000 },
        { host: "was-node-1", port: 9000 },
      ],
      listenPort: 8081,
      healthPath: "/lb-health",
      user: "nginx",
      pidFile: "/tmp/nginx-lab.pid",
    });
    await expect(conf).toMatchFileSnapshot("__snapshots__/nginx.custom.conf");
  });

  it("balances with least_conn, passive health checks and bounded retries", () => {
    const conf = renderNginxConf({ upstreams: nodes(3) });
    const t = NGINX_TUNING;
    expect(conf).toMatch(/upstream was \{\n\s+least_conn;/);
    const lines = conf.split("\n").filter((l) => /^\s*server \d/.test(l));
    expect(lines).toHaveLength(6);
    // Primaries first with passive checks, then every node again as a backup that is never marked failed.
    for (const line of lines.slice(0, 3))
      expect(line).toMatch(
        new RegExp(`:8080 max_fails=${t.maxFails} fail_timeout=${t.failTimeoutSeconds}s;$`),
      );
    for (const line of lines.slice(3)) expect(line).toMatch(/:8080 max_fails=0 backup;$/);
    expect(t.backupMaxFails).toBe(0);
    expect(conf).toContain("proxy_next_upstream error timeout http_502 http_503 http_504;");
    expect(conf).toContain(`proxy_next_upstream_tries ${nextUpstreamTries(3)};`);
    // Every node as a primary and as a backup, capped.
    expect(nextUpstreamTries(1)).toBe(2);
    expect(nextUpstreamTries(3)).toBe(6);
    expect(nextUpstreamTries(4)).toBe(8);
    expect(nextUpstreamTries(6)).toBe(t.maxNextUpstreamTries);
    expect(nextUpstreamTries(100)).toBe(t.maxNextUpstreamTries);
    expect(conf).toContain("zone was_upstreams 1m;");
    expect(conf).toContain(`proxy_next_upstream_timeout ${t.nextUpstreamTimeoutSeconds}s;`);
    expect(conf).toContain(`proxy_connect_timeout ${t.connectTimeoutSeconds}s;`);
    expect(conf).toContain(`keepalive ${t.keepalive};`);
    // Upstream keepalive only works over HTTP/1.1 with the Connection header cleared.
    expect(conf).toContain("proxy_http_version 1.1;");
    expect(conf).toContain('proxy_set_header Connection "";');
    // POST and other non-idempotent requests are not resent: no non_idempotent flag.
    expect(conf).not.toContain("non_idempotent");
  });

  it("re-renders byte-identically and changes when the node set changes", () => {
    const a = renderNginxConf({ upstreams: nodes(4) });
    expect(renderNginxConf({ upstreams: nodes(4) })).toBe(a);
    expect(renderNginxConf({ upstreams: nodes(3) })).not.toBe(a);
  });

  it("refuses an empty upstream list", () => {
    expect(() => renderNginxConf({ upstreams: [] })).toThrow(/at least one upstream/);
  });

  it.each([
    ["directive injection", "10.0.0.1; include /etc/passwd"],
    ["space", "10.0.0.1 backup"],
    ["command substitution", "$(reboot)"],
    ["braces", "a}b"],
    ["octet over 255", "10.0.0.256"],
    ["numeric non-address", "999.1.1"],
    ["leading dash", "-x"],
    ["empty", ""],
  ])("refuses a bad upstream host (%s)", (_label, host) => {
    expect(() => renderNginxConf({ upstreams: [{ host, port: 8080 }] })).toThrow(
      /invalid upstream/,
    );
  });

  it.each([0, 65536, 80.5, Number.NaN])("refuses upstream port %s", (port) => {
    expect(() => renderNginxConf({ upstreams: [{ host: "10.0.0.1", port }] })).toThrow(
      /invalid upstream/,
    );
  });

  it("refuses a node listed twice", () => {
    expect(() =>
      renderNginxConf({
        upstreams: [
          { host: "10.0.0.1", port: 8080 },
          { host: "10.0.0.1", port: 8080 },
        ],
      }),
    ).toThrow(/listed twice/);
  });

  it("refuses a health path, user or pid file that would break out of its directive", () => {
    const upstreams = nodes(1);
    expect(() =>
      renderNginxConf({ upstreams, healthPath: "/x { return 500; } location /y" }),
    ).toThrow(/healthPath/);
    expect(() => renderNginxConf({ upstreams, user: "root; daemon off" })).toThrow(/user/);
    expect(() => renderNginxConf({ upstreams, pidFile: "/run/x.pid; user root" })).toThrow(
      /pidFile/,
    );
    expect(() => renderNginxConf({ upstreams, listenPort: 0 })).toThrow(/listenPort/);
  });

  it("nginx -t really rejects a broken config (the validator is live)", (ctx) => {
    const conf = renderNginxConf({ upstreams: nodes(2) }).replace(
      "least_conn;",
      "least_conn_typo;",
    );
    const result = nginxTest(ctx, conf);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/unknown directive "least_conn_typo"/);
  });
});
