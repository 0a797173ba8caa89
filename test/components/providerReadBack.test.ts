/**
 * Issue 22 findings 2 and 3: the WAS service's inputs as the Docker provider reads them back, so
 * the second `pulumi up` shows no update. The provider (terraform-provider-docker at the commit
 * pulumi-docker pins) prints durations with Go's time.Duration.String() through its shortDur, and
 * stores each placement preference string verbatim as the SpreadDescriptor.
 */
import { describe, expect, it } from "vitest";
import { goDuration, toPulumiService } from "../../components/wasService";
import { renderServiceSpec, WasServiceModel } from "../../renderers/serviceSpec";

/**
 * [nanoseconds, the provider's read-back], printed by Go 1.26 with the provider's shortDur (its
 * function body, run over these values on 2026-12-07): every whole second the restart delay may be
 * (taskRestartDelaySeconds 0..60), the healthcheck's 0.5 s, and the other units Go prints.
 */
const GO: ReadonlyArray<readonly [number, string]> = [
  [0, "0s"],
  [1000000000, "1s"],
  [2000000000, "2s"],
  [3000000000, "3s"],
  [4000000000, "4s"],
  [5000000000, "5s"],
  [6000000000, "6s"],
  [7000000000, "7s"],
  [8000000000, "8s"],
  [9000000000, "9s"],
  [10000000000, "10s"],
  [11000000000, "11s"],
  [12000000000, "12s"],
  [13000000000, "13s"],
  [14000000000, "14s"],
  [15000000000, "15s"],
  [16000000000, "16s"],
  [17000000000, "17s"],
  [18000000000, "18s"],
  [19000000000, "19s"],
  [20000000000, "20s"],
  [21000000000, "21s"],
  [22000000000, "22s"],
  [23000000000, "23s"],
  [24000000000, "24s"],
  [25000000000, "25s"],
  [26000000000, "26s"],
  [27000000000, "27s"],
  [28000000000, "28s"],
  [29000000000, "29s"],
  [30000000000, "30s"],
  [31000000000, "31s"],
  [32000000000, "32s"],
  [33000000000, "33s"],
  [34000000000, "34s"],
  [35000000000, "35s"],
  [36000000000, "36s"],
  [37000000000, "37s"],
  [38000000000, "38s"],
  [39000000000, "39s"],
  [40000000000, "40s"],
  [41000000000, "41s"],
  [42000000000, "42s"],
  [43000000000, "43s"],
  [44000000000, "44s"],
  [45000000000, "45s"],
  [46000000000, "46s"],
  [47000000000, "47s"],
  [48000000000, "48s"],
  [49000000000, "49s"],
  [50000000000, "50s"],
  [51000000000, "51s"],
  [52000000000, "52s"],
  [53000000000, "53s"],
  [54000000000, "54s"],
  [55000000000, "55s"],
  [56000000000, "56s"],
  [57000000000, "57s"],
  [58000000000, "58s"],
  [59000000000, "59s"],
  [60000000000, "1m"],
  [1, "1ns"],
  [1500, "1.5µs"],
  [250000, "250µs"],
  [1234567, "1.234567ms"],
  [500000000, "500ms"],
  [1500000000, "1.5s"],
  [61000000000, "1m1s"],
  [90000000000, "1m30s"],
  [3600000000000, "1h"],
  [3661500000000, "1h1m1.5s"],
  [7200000000000, "2h"],
];

const model: WasServiceModel = {
  name: "was",
  image: "node:22-alpine",
  replicas: 3,
  port: 8080,
  healthPath: "/healthz",
  env: {},
  logVolume: { kind: "nfs", server: "10.0.0.5", exportPath: "/srv/nfs/was-logs" },
  restartDelaySeconds: 0,
  managersRunTasks: true,
};

/** Every duration field of the provider's service inputs, by path. */
function durations(v: unknown, at = ""): Array<[string, string]> {
  if (!v || typeof v !== "object") return [];
  return Object.entries(v).flatMap(([k, x]) =>
    [
      "interval",
      "timeout",
      "startPeriod",
      "stopGracePeriod",
      "delay",
      "monitor",
      "window",
    ].includes(k) && typeof x === "string"
      ? [[`${at}.${k}`, x] as [string, string]]
      : durations(x, `${at}.${k}`),
  );
}

describe("durations as the provider reads them back (finding 2)", () => {
  it.each(GO)("goDuration(%d) is Go's %j", (ns, go) => {
    expect(goDuration(ns)).toBe(go);
  });

  it("every duration the service sends, for every restart delay the config accepts, is the provider's own spelling", () => {
    const canonical = new Set(GO.map(([, s]) => s));
    for (let delay = 0; delay <= 60; delay++) {
      const found = durations(
        toPulumiService(renderServiceSpec({ ...model, restartDelaySeconds: delay })),
      );
      expect(found.length).toBeGreaterThanOrEqual(8);
      for (const [at, text] of found)
        expect(canonical.has(text), `${at} = ${text} (delay ${delay})`).toBe(true);
    }
    const svc = toPulumiService(renderServiceSpec({ ...model, restartDelaySeconds: 60 }));
    expect(svc.taskSpec.containerSpec.healthcheck?.interval).toBe("500ms");
    expect(svc.taskSpec.restartPolicy?.delay).toBe("1m");
  });

  it("refuses what is not a whole number of nanoseconds", () => {
    expect(() => goDuration(0.5)).toThrow(/whole number/);
    expect(() => goDuration(-1)).toThrow(/whole number/);
  });
});

describe("the spread preference as swarmkit reads it (finding 3)", () => {
  it("sends the Engine API spec's descriptors verbatim, so AWS and the lab (which posts the spec) spread alike", () => {
    const spec = renderServiceSpec(model);
    const prefs = toPulumiService(spec).taskSpec.placement?.prefs ?? [];
    expect(prefs).toEqual(
      spec.TaskTemplate.Placement.Preferences.map((p) => p.Spread.SpreadDescriptor),
    );
    // swarmkit manager/scheduler/nodeset.go: only a descriptor starting node.labels. (or engine.labels.) spreads.
    for (const p of prefs) expect(p.startsWith("node.labels.")).toBe(true);
  });
});
