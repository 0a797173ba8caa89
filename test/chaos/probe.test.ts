/** The single probe names the balancer that answered from nginx's X-Balancer header. */
import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe } from "../../chaos/load/probe";
import { realClock } from "../../chaos/drill/core";
import { AnswerProber } from "../../chaos/drill/observe";
import { DrillRecord } from "../../chaos/drill/record";

describe("probe", () => {
  let server: http.Server;
  let url = "";
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/named") res.setHeader("X-Balancer", "lab-nginx-2");
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("reports the X-Balancer header as the balancer that answered", async () => {
    expect(await probe(`${url}/named`)).toMatchObject({ ok: true, balancer: "lab-nginx-2" });
  });
  it("has no balancer when the header is absent", async () => {
    const r = await probe(`${url}/plain`);
    expect(r.ok).toBe(true);
    expect(r.balancer).toBeUndefined();
  });
});

describe("AnswerProber.tick: probes on its own timer, not at the sampler's pace", () => {
  it("fires every interval until stopped, and never after", async () => {
    const rec = new DrillRecord(realClock, () => undefined);
    let asked = 0;
    const prober = new AnswerProber(
      rec,
      async () => (asked++, { ok: true, balancer: "nginx-2" }),
      "nginx-1",
    );
    const stop = prober.tick(10);
    await new Promise((r) => setTimeout(r, 120));
    stop();
    const atStop = asked;
    expect(atStop).toBeGreaterThanOrEqual(5);
    expect(prober.firstOther?.balancer).toBe("nginx-2");
    await new Promise((r) => setTimeout(r, 60));
    expect(asked).toBe(atStop);
  });
});
