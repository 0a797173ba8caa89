import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realClock, runDrill } from "../../chaos/drill/core";
import { HttpLoad } from "../../chaos/load/load";
import { renderTimelineSvg } from "../../chaos/report/report";
import { ScriptedSwarm, workerScript } from "./fakes";

// The real clock, the real load generator on 127.0.0.1 and a scripted swarm on a compressed
// timeline (detected after 0.3 s, restored after 0.6 s): checks the wiring the fake clock skips.
let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ NODE_NAME: "w2" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("drill with the real clock and real load", () => {
  it("runs the load across the drill and aligns it with the timeline", async () => {
    const swarm = new ScriptedSwarm(
      realClock as never,
      workerScript({ detectAt: 0.3, restoreAt: 0.6, rejoinAfter: 0.2 }),
    );
    const load = new HttpLoad({ url, connections: 10 });
    const r = await runDrill(swarm, swarm, {
      service: "was",
      managersRunTasks: false,
      signals: null,
      pollMs: 50,
      load,
      loadLeadSeconds: 0.5,
      loadTailSeconds: 0.5,
    });
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    expect(r.detectSeconds).toBeGreaterThanOrEqual(0.3);
    expect(r.detectSeconds).toBeLessThan(0.5);
    expect(r.restoreSeconds).toBeGreaterThanOrEqual(0.6);
    expect(r.restoreSeconds).toBeLessThan(0.9);
    expect(r.load.connections).toBe(10);
    expect(r.load.requests).toBeGreaterThan(100);
    expect(r.load.failed).toBe(0);
    expect(r.loadDetail?.perNode).toEqual({ w2: r.load.requests });
    // The load started ~0.5 s before the stop and ran ~0.5 s past the restore confirmation.
    expect(r.loadDetail!.offsetSeconds).toBeLessThanOrEqual(-0.45);
    expect(r.loadDetail!.offsetSeconds).toBeGreaterThan(-0.7);
    expect(r.load.durationSeconds).toBeGreaterThan(1.4);
    expect(r.timeline[0].t).toBeLessThan(0);
    expect(renderTimelineSvg(r)).toContain("restored");
  });
});
