/**
 * How soon a replica that comes back (swarm restored it on a node that had none) gets traffic
 * through the rendered nginx.conf. A node without a task refuses at once and is marked failed for
 * fail_timeout; nginx tries it again only when that expires, so fail_timeout bounds the time a
 * restored replica stays idle while the others carry its share (the lab drill's load tail is 3 s).
 * nginx counts fail_timeout in whole seconds, so the idle time is up to fail_timeout + 1 s.
 * Real nginx, local upstreams; the scripted failing case is the first round's fail_timeout=10s.
 */
import { describe, expect, it } from "vitest";
import { NGINX_TUNING, renderNginxConf } from "../../renderers/nginxConf";
import { requireValidator } from "../validators";
import { get, startNginx, startUpstream, twoUpstreams } from "./nginxHarness";

/**
 * "a" serves throughout; "b" refuses (no task yet), is marked failed by the first requests, then
 * starts. Requests keep flowing every 20 ms; returns the seconds from b's start to its first answer
 * through nginx (null when it got none within `watchSeconds`), and whether any request failed.
 */
async function idleAfterReturn(
  ctx: Parameters<typeof requireValidator>[0],
  edit: (conf: string) => string,
  watchSeconds: number,
) {
  const bin = requireValidator(ctx, "nginx");
  const { a, b, listen, conf } = await twoUpstreams();
  await startUpstream(a, "a");
  await startNginx(bin, edit(conf), listen);
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) codes.push((await get(listen)).code); // b refuses: marked failed, resent to a
  await startUpstream(b, "b");
  const t0 = Date.now();
  let firstB: number | null = null;
  while (Date.now() - t0 < watchSeconds * 1000) {
    const r = await get(listen);
    codes.push(r.code);
    if (r.body === "b") {
      firstB = (Date.now() - t0) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { firstB, failed: codes.filter((c) => c !== 200).length };
}

describe("a restored replica gets traffic within fail_timeout (real nginx, local upstreams)", () => {
  it("renders a fail_timeout whose worst case (fail_timeout + 1 s: nginx counts whole seconds) fits the drill's 3 s load tail with room", () => {
    expect(NGINX_TUNING.failTimeoutSeconds + 1).toBeLessThanOrEqual(2);
    expect(renderNginxConf({ upstreams: [{ host: "10.0.0.1", port: 8080 }] })).toContain(
      `fail_timeout=${NGINX_TUNING.failTimeoutSeconds}s;`,
    );
  });

  it("with fail_timeout=10s the returned node stays idle for the whole 4 s watch (scripted failing case)", async (ctx) => {
    const r = await idleAfterReturn(
      ctx,
      (c) => c.replace(/fail_timeout=\d+s;/g, "fail_timeout=10s;"),
      4,
    );
    expect(r.firstB).toBeNull();
    expect(r.failed).toBe(0);
  });

  it("with the rendered fail_timeout the returned node answers within fail_timeout + 1 s (whole seconds), 0 failed", async (ctx) => {
    const r = await idleAfterReturn(ctx, (c) => c, NGINX_TUNING.failTimeoutSeconds + 3);
    expect(r.firstB).not.toBeNull();
    expect(r.firstB!).toBeLessThanOrEqual(NGINX_TUNING.failTimeoutSeconds + 1.2);
    expect(r.failed).toBe(0);
  });
});
