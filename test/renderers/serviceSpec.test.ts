import { describe, expect, it } from "vitest";
import {
  HEALTHCHECK,
  renderServiceSpec,
  UPDATE,
  WAS_LOG_DIR,
  WAS_LOG_VOLUME,
  WasServiceModel,
  ZONE_LABEL,
  ZONE_SPREAD,
} from "../../renderers/serviceSpec";

const NS = 1_000_000_000;

const base: WasServiceModel = {
  name: "was",
  image: "registry.example/was:1.2",
  replicas: 3,
  port: 8080,
  healthPath: "/healthz",
  env: { ZETA: "last", ALPHA: "first=with=equals" },
  logVolume: { kind: "nfs", server: "10.42.0.50", exportPath: "/srv/nfs/was-logs" },
  restartDelaySeconds: 1,
  managersRunTasks: true,
};

describe("renderServiceSpec", () => {
  it("runs the configured replicas, at most one per node", () => {
    for (const replicas of [1, 3, 7]) {
      const spec = renderServiceSpec({ ...base, replicas });
      expect(spec.Mode).toEqual({ Replicated: { Replicas: replicas } });
      expect(spec.TaskTemplate.Placement.MaxReplicas).toBe(1);
    }
  });

  it("refuses zero, negative or fractional replicas", () => {
    for (const replicas of [0, -1, 1.5])
      expect(() => renderServiceSpec({ ...base, replicas })).toThrow(/replicas must be >= 1/);
  });

  it("publishes the WAS port in host mode with DNS round robin (no ingress mesh, no VIP)", () => {
    const spec = renderServiceSpec({ ...base, port: 9090 });
    expect(spec.EndpointSpec).toEqual({
      Mode: "dnsrr",
      Ports: [{ Protocol: "tcp", TargetPort: 9090, PublishedPort: 9090, PublishMode: "host" }],
    });
    expect(spec.TaskTemplate.ContainerSpec.Env).toContain("PORT=9090");
  });

  it("health-checks the configured path on the configured port", () => {
    const hc = renderServiceSpec({ ...base, port: 9090, healthPath: "/ready" }).TaskTemplate
      .ContainerSpec.HealthCheck;
    expect(hc.Test[0]).toBe("CMD-SHELL");
    expect(hc.Test[1]).toContain("http://127.0.0.1:9090/ready");
    expect(hc).toMatchObject({
      Interval: HEALTHCHECK.intervalSeconds * NS,
      Timeout: HEALTHCHECK.timeoutSeconds * NS,
      Retries: HEALTHCHECK.retries,
      StartPeriod: HEALTHCHECK.startPeriodSeconds * NS,
    });
  });

  it("rolls back a failed update, and pauses a failed rollback rather than looping", () => {
    const spec = renderServiceSpec(base);
    expect(spec.UpdateConfig).toEqual({
      Parallelism: UPDATE.parallelism,
      Delay: UPDATE.delaySeconds * NS,
      FailureAction: "rollback",
      Monitor: UPDATE.monitorSeconds * NS,
      MaxFailureRatio: 0,
      Order: "stop-first",
    });
    expect(spec.RollbackConfig.FailureAction).toBe("pause");
    // start-first would need a second host port on the same node: it must stay stop-first.
    expect(spec.RollbackConfig.Order).toBe("stop-first");
  });

  it("restarts any failed task after the configured delay, in nanoseconds, forever", () => {
    expect(
      renderServiceSpec({ ...base, restartDelaySeconds: 3 }).TaskTemplate.RestartPolicy,
    ).toEqual({
      Condition: "any",
      Delay: 3_000_000_000,
      MaxAttempts: 0,
      Window: 0,
    });
    expect(
      renderServiceSpec({ ...base, restartDelaySeconds: 0 }).TaskTemplate.RestartPolicy.Delay,
    ).toBe(0);
  });

  it("mounts the NFS export as a local volume of type nfs on AWS", () => {
    const mounts = renderServiceSpec(base).TaskTemplate.ContainerSpec.Mounts;
    expect(mounts).toEqual([
      {
        Type: "volume",
        Source: WAS_LOG_VOLUME,
        Target: WAS_LOG_DIR,
        ReadOnly: false,
        VolumeOptions: {
          DriverConfig: {
            Name: "local",
            // The instance store's options (the default store): soft, so a mount never blocks a start indefinitely.
            Options: {
              type: "nfs",
              o: "addr=10.42.0.50,nfsvers=4.1,rw,soft,timeo=150,retrans=3",
              device: ":/srv/nfs/was-logs",
            },
          },
        },
      },
    ]);
  });

  it("bind-mounts the export's backing directory in the lab (no volume driver options)", () => {
    const mounts = renderServiceSpec({
      ...base,
      logVolume: { kind: "bind", hostPath: "/exports/was-logs" },
    }).TaskTemplate.ContainerSpec.Mounts;
    expect(mounts).toEqual([
      { Type: "bind", Source: "/exports/was-logs", Target: WAS_LOG_DIR, ReadOnly: false },
    ]);
    expect(mounts[0]).not.toHaveProperty("VolumeOptions");
  });

  it("keeps tasks off managers only when managers may not run tasks", () => {
    expect(renderServiceSpec(base).TaskTemplate.Placement.Constraints).toEqual([]);
    expect(
      renderServiceSpec({ ...base, managersRunTasks: false }).TaskTemplate.Placement.Constraints,
    ).toEqual(["node.role==worker"]);
  });

  it("passes identity and log settings, then the configured env sorted by key", () => {
    const env = renderServiceSpec(base).TaskTemplate.ContainerSpec.Env;
    expect(env.slice(0, 6)).toEqual([
      "PORT=8080",
      "HEALTH_PATH=/healthz",
      `LOG_DIR=${WAS_LOG_DIR}`,
      "TASK_NAME={{.Task.Name}}",
      "TASK_SLOT={{.Task.Slot}}",
      "NODE_NAME={{.Node.Hostname}}",
    ]);
    expect(env.slice(6)).toEqual(["ALPHA=first=with=equals", "ZETA=last"]);
  });

  it("attaches the given overlay networks", () => {
    expect(renderServiceSpec(base).TaskTemplate.Networks).toEqual([]);
    expect(renderServiceSpec({ ...base, networks: ["was-net"] }).TaskTemplate.Networks).toEqual([
      { Target: "was-net" },
    ]);
  });

  it("matches the committed snapshot (AWS, nfs volume)", () => {
    expect(renderServiceSpec(base)).toMatchSnapshot();
  });

  it("matches the committed snapshot (lab, bind mount, workers only)", () => {
    expect(
      renderServiceSpec({
        ...base,
        replicas: 2,
        env: {},
        managersRunTasks: false,
        logVolume: { kind: "bind", hostPath: "/exports/was-logs" },
        networks: ["was-net"],
      }),
    ).toMatchSnapshot();
  });
});

/** Throws unless the spec spreads its replicas over the zone label renderNodeLabels sets. */
function expectSpreadOverZones(spec: ReturnType<typeof renderServiceSpec>): void {
  const prefs = spec.TaskTemplate.Placement.Preferences ?? [];
  expect(prefs.map((p) => p.Spread.SpreadDescriptor)).toEqual([`node.labels.${ZONE_LABEL}`]);
}

describe("renderServiceSpec: replicas spread over availability zones", () => {
  it("prefers spreading over node.labels.swarm-ha.zone, in the lab and on AWS alike", () => {
    expect(ZONE_LABEL).toBe("swarm-ha.zone");
    expect(ZONE_SPREAD).toBe("node.labels.swarm-ha.zone");
    expectSpreadOverZones(renderServiceSpec(base));
    expectSpreadOverZones(
      renderServiceSpec({
        ...base,
        managersRunTasks: false,
        logVolume: { kind: "bind", hostPath: "/exports/was-logs" },
      }),
    );
  });

  it("a spec without the preference, or spreading on another label, fails the check (must-fail)", () => {
    const spec = renderServiceSpec(base);
    const none = {
      ...spec,
      TaskTemplate: {
        ...spec.TaskTemplate,
        Placement: { ...spec.TaskTemplate.Placement, Preferences: [] },
      },
    };
    expect(() => expectSpreadOverZones(none)).toThrow();
    const other = {
      ...spec,
      TaskTemplate: {
        ...spec.TaskTemplate,
        Placement: {
          ...spec.TaskTemplate.Placement,
          Preferences: [{ Spread: { SpreadDescriptor: "node.labels.zone" } }],
        },
      },
    };
    expect(() => expectSpreadOverZones(other)).toThrow();
  });

  it("spreads as a preference, never a constraint (a zone's loss must not leave replicas Pending)", () => {
    expect(renderServiceSpec(base).TaskTemplate.Placement.Constraints.join(" ")).not.toContain(
      ZONE_LABEL,
    );
  });
});
