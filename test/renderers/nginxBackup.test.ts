/**
 * The rendered nginx.conf, run by a real nginx against two local upstreams, when every primary has
 * just been marked failed (the leader drill that lost 1,803 requests to 502 "no live upstreams").
 * The scripted failing case first: the same config without the backup entries must answer 502.
 */
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { requireValidator } from "../validators";
import { get, startNginx, startUpstream, twoUpstreams } from "./nginxHarness";

/** Both primaries refuse once (marked failed for fail_timeout), then both upstreams come back. */
async function afterEveryPrimaryFailed(
  ctx: Parameters<typeof requireValidator>[0],
  withBackups: boolean,
): Promise<{ codes: number[]; errorLog: string }> {
  const bin = requireValidator(ctx, "nginx");
  const u = await twoUpstreams();
  const { a, b, listen } = u;
  let conf = u.conf;
  if (!withBackups)
    conf = conf
      .split("\n")
      .filter((l) => !/ backup;$/.test(l))
      .join("\n");
  const log = await startNginx(bin, conf, listen);
  const first = (await get(listen)).code; // nothing listens yet: every attempt is refused, both primaries marked
  await startUpstream(a);
  await startUpstream(b);
  const codes = [first, (await get(listen)).code, (await get(listen)).code];
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
