/**
 * The lab drill: the shared drill core (chaos/drill/core.ts) over the lab adapters, under HTTP load
 * through nginx, first with the tuned settings, then with Docker's default timings (heartbeat
 * 5 s, restart delay 5 s) for the baseline; then the NFS proof; then the report.
 */
import { healingOnSignal } from "../base/signals";
import * as path from "path";
import { DrillResult, runDrill } from "../chaos/drill/core";
import { HttpLoad } from "../chaos/load/load";
import { writeReport } from "../chaos/report/report";
import type { TaskInfo } from "../chaos/types";
import { renderSwarmInit } from "../renderers/swarmBootstrap";
import { LabObserver, LabStopper } from "./adapters";
import { since } from "./docker";
import { readMachine } from "./machine";
import { nodeEngine } from "./engines";
import { waitRolledOut } from "./rollout";
import {
  deployService,
  LabInfo,
  Log,
  runScript,
  waitConverged,
  waitServedByAll,
  wasSpec,
} from "./lab";
import { NFS_SUBSTITUTION, NfsProof, proveNfs, ServedTask } from "./nfsProof";
import type { LabOptions } from "./settings";
import { SERVICE } from "./settings";

/** Docker's own defaults, for the baseline drill. */
export const DOCKER_DEFAULTS = {
  dispatcherHeartbeatSeconds: 5,
  taskRestartDelaySeconds: 5,
} as const;

export const SUBSTITUTIONS = [
  NFS_SUBSTITUTION,
  "No IPVS in the lab kernel: no ingress routing mesh and no service VIPs. The WAS service publishes its port in host mode with endpoint mode dnsrr (the same spec AWS gets), and nginx balances over every node that may run a task.",
  "Swarm nodes are Docker engines in containers (docker-in-docker). Where --privileged is refused (this machine: no CAP_SYS_RESOURCE in the bounding set, cgroup v1) they get every other capability, unconfined seccomp/AppArmor/system paths, all devices and a writable cgroup tree; cgroup v2 engines use --privileged. Stopping a node is `docker stop` of its container.",
  "No image registry: images are built FROM a local base of the Debian release asked (--debian, default 13: debian:trixie-slim if present, else one made with debootstrap from Debian's mirror) and reach the node engines by docker save | docker load.",
  "The lab's userland is Debian's, not Ubuntu's: the engine, nginx and keepalived are Debian 13's (or 12's) builds, not the versions Ubuntu 24.04 installs on the AWS nodes (lab/README.md lists both).",
];

export interface LabReport {
  /** The verdict of the tuned drill, the baseline drill and the NFS proof together. */
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly file: string;
}

function taskName(t: TaskInfo): string {
  return `${SERVICE}.${t.slot}.${t.id}`;
}

/** After the target rejoined: the desired tasks must run on Ready nodes; force a rebalance only if not. */
async function rebalance(info: LabInfo, observer: LabObserver, log: Log): Promise<string> {
  try {
    await waitConverged(observer, info.managers[0], 15_000);
    return "not needed";
  } catch {
    log("  rebalance: docker service update --force");
    const svc = nodeEngine(info.managers[0], 30_000).getService(SERVICE);
    const cur = (await svc.inspect()) as Record<string, any>;
    const spec = cur.Spec;
    spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
    await svc.update({ ...spec, version: cur.Version.Index });
    await waitConverged(observer, info.managers[0], 120_000);
    return "forced (service update --force)";
  }
}

export async function applyTimings(
  info: LabInfo,
  observer: LabObserver,
  hb: number,
  delay: number,
  log: Log,
): Promise<void> {
  const manager = info.layout.nodes.find((n) => n.name === info.managers[0])!;
  await runScript(
    manager.name,
    "swarm-init",
    renderSwarmInit({
      advertiseAddr: manager.ip,
      dispatcherHeartbeatSeconds: hb,
      engineWaitSeconds: 60,
    }),
  );
  if (await deployService(manager.name, wasSpec(info.config, info.images.app, delay))) {
    // A changed restart delay rolls every task over (one at a time): wait until all run the new spec.
    await waitRolledOut(manager.name, SERVICE, 180_000);
  }
  await waitConverged(observer, manager.name, 180_000);
  await waitServedByAll(info.url, observer, 60_000);
  log(`  swarm heartbeat ${hb}s, task restart delay ${delay}s, service converged`);
}

/** Sets the tuned timings (the lab's config) or Docker's defaults: what a baseline switches between. */
export function timingsSetter(
  info: LabInfo,
  observer: LabObserver,
  log: Log,
): (kind: "docker-defaults" | "tuned") => Promise<void> {
  const t = info.config.swarm;
  return (kind) => {
    const { dispatcherHeartbeatSeconds, taskRestartDelaySeconds } =
      kind === "tuned" ? t : DOCKER_DEFAULTS;
    return applyTimings(info, observer, dispatcherHeartbeatSeconds, taskRestartDelaySeconds, log);
  };
}

async function drillOnce(
  label: string,
  info: LabInfo,
  o: LabOptions,
  observer: LabObserver,
  log: Log,
): Promise<{ r: DrillResult; rebalance: string; before: TaskInfo[]; after: TaskInfo[] }> {
  log(
    `▶ drill (${label}): stop a worker running a replica under ${o.connections} connections through ${info.url}`,
  );
  const t = performance.now();
  const before = (await observer.tasks(SERVICE)).filter((x) => x.desiredState === "running");
  const load = new HttpLoad({
    url: info.url,
    connections: o.connections,
    maxDurationSeconds: 120,
    timeoutMs: 3000,
  });
  const r = await runDrill(observer, new LabStopper(), {
    service: SERVICE,
    target: "worker",
    deadlineSeconds: 60,
    rejoinDeadlineSeconds: 120,
    managersRunTasks: info.config.managers.runTasks,
    load,
    log: (l) => log(`  ${l}`),
  });
  const after = await observer.tasks(SERVICE);
  const rb = r.restarted ? await rebalance(info, observer, log) : "skipped (target not restarted)";
  log(
    `✔ drill (${label}) ${r.passed ? "passed" : `FAILED: ${r.reason}`} in ${since(t)} s: detect ${r.detectSeconds ?? "—"} s, restore ${r.restoreSeconds ?? "—"} s, ` +
      `${r.load.requests} requests, ${r.load.failed} failed, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms, rejoin ${r.rejoinSeconds ?? "—"} s, rebalance ${rb}`,
  );
  return { r, rebalance: rb, before, after };
}

const ratio = (a: number | null, b: number | null) =>
  a !== null && b !== null && b > 0 ? Math.round((a / b) * 1000) / 1000 : null;

/** Which tasks served traffic, for the NFS proof: every task that ran before or after the stop. */
async function servedTasks(
  tuned: { before: readonly TaskInfo[]; after: readonly TaskInfo[]; r: DrillResult },
  observer: LabObserver,
): Promise<ServedTask[]> {
  const nodes = await observer.nodes();
  const host = new Map(nodes.map((n) => [n.id, n.hostname]));
  const beforeIds = new Set(tuned.before.map((t) => t.id));
  const beforeNodes = new Set(tuned.before.map((t) => t.nodeId));
  const servedNodes = new Set(Object.keys(tuned.r.loadDetail?.perNode ?? {}));
  const served: ServedTask[] = [];
  for (const t of tuned.after) {
    const ranDuring =
      beforeIds.has(t.id) || (t.desiredState === "running" && t.state === "running");
    const node = host.get(t.nodeId) ?? t.nodeId;
    if (ranDuring && servedNodes.has(node))
      served.push({
        task: taskName(t),
        node,
        rescheduled: !beforeIds.has(t.id) && !beforeNodes.has(t.nodeId),
      });
  }
  return served;
}

/** Figures the lab reports beside the verdict; they inform, the verdict (r.failures) decides. */
function labChecksOf(info: LabInfo, r: DrillResult) {
  return {
    ...(info.reused
      ? {}
      : info.images.built.length
        ? {
            coldBringUpSeconds: {
              target: 240,
              value: info.totalSeconds,
              met: info.totalSeconds <= 240,
            },
          }
        : {
            warmBringUpSeconds: {
              target: 60,
              value: info.totalSeconds,
              met: info.totalSeconds <= 60,
            },
          }),
    noFalseDown: {
      target: 0,
      value: r.otherNodesNotReady.length,
      met: r.otherNodesNotReady.length === 0,
    },
  };
}

/**
 * Runs `f` with Docker's default timings and brings the tuned ones back after, whatever happens:
 * on Ctrl-C too (base/signals.ts), after the running drill healed its fault. The lab drill's
 * baseline and the matrix's --baseline share it.
 */
export function withDockerDefaults<T>(
  setTimings: (kind: "docker-defaults" | "tuned") => Promise<unknown>,
  backLine: string,
  log: Log,
  f: () => Promise<T>,
): Promise<T> {
  return healingOnSignal(
    "restoring the tuned swarm timings",
    () => setTimings("tuned"),
    log,
    async () => {
      await setTimings("docker-defaults");
      try {
        return await f();
      } finally {
        log(backLine);
        await setTimings("tuned");
      }
    },
  );
}

export async function runLabDrills(info: LabInfo, o: LabOptions, log: Log): Promise<LabReport> {
  const observer = new LabObserver(info.managers);
  const cfg = info.config;
  const tuned = await drillOnce("tuned", info, o, observer, log);

  const served = await servedTasks(tuned, observer);

  let baseline: { r: DrillResult; rebalance: string } | undefined;
  if (o.baseline) {
    log(`▶ switch to Docker's default timings for the baseline`);
    const setTimings = timingsSetter(info, observer, log);
    baseline = await withDockerDefaults(setTimings, "▶ back to the tuned timings", log, () =>
      drillOnce("baseline: Docker defaults", info, o, observer, log),
    );
  }

  log(`▶ NFS proof over NFSv4 (libnfs)`);
  const reader = info.layout.nodes.find((n) => n.role === "worker")!;
  const nfs: NfsProof = await proveNfs({
    nfsIp: info.layout.nfsIp,
    exportPath: cfg.nfs.exportPath,
    clients: [info.layout.nodeRange],
    reader: reader.name,
    readerIp: reader.ip,
    outsiderIp: info.layout.nginxIp,
    served,
  });
  for (const r of nfs.replicas)
    log(
      `  ${r.task} on ${r.node}${r.rescheduled ? " (rescheduled)" : ""}: ${r.servedLines} requests logged; last: ${r.lastLine}`,
    );
  log(
    `  write from root on ${reader.name} stored as ${nfs.squash.uid}:${nfs.squash.gid} (${nfs.squash.squashed ? "squashed" : "NOT squashed"})`,
  );
  log(
    `  ${nfs.refused.from}: ${nfs.refused.refused ? "refused" : "NOT refused"} (${nfs.refused.message})`,
  );
  log(`${nfs.passed ? "✔" : "✘"} NFS proof ${nfs.passed ? "passed" : "FAILED"}`);

  const r = tuned.r;
  const labChecks = labChecksOf(info, r);
  const failures = [
    ...r.failures,
    ...(baseline && !baseline.r.passed
      ? baseline.r.failures.map((f) => `baseline drill: ${f}`)
      : []),
    ...(nfs.passed ? [] : ["NFS proof failed"]),
  ];
  const passed = failures.length === 0;
  const report = {
    ...r,
    baseline: baseline
      ? { detectSeconds: baseline.r.detectSeconds, restoreSeconds: baseline.r.restoreSeconds }
      : undefined,
    passed,
    failures,
    ...(failures.length ? { reason: failures.join("; ") } : {}),
    ratio: baseline
      ? {
          detect: ratio(r.detectSeconds, baseline.r.detectSeconds),
          restore: ratio(r.restoreSeconds, baseline.r.restoreSeconds),
        }
      : undefined,
    labChecks,
    tuning: {
      dispatcherHeartbeatSeconds: cfg.swarm.dispatcherHeartbeatSeconds,
      taskRestartDelaySeconds: cfg.swarm.taskRestartDelaySeconds,
      baseline: DOCKER_DEFAULTS,
    },
    rebalance: tuned.rebalance,
    baselineDetail: baseline
      ? {
          target: baseline.r.target,
          passed: baseline.r.passed,
          reason: baseline.r.reason,
          detectSeconds: baseline.r.detectSeconds,
          restoreSeconds: baseline.r.restoreSeconds,
          rejoinSeconds: baseline.r.rejoinSeconds,
          load: baseline.r.load,
          rebalance: baseline.rebalance,
          otherNodesNotReady: baseline.r.otherNodesNotReady,
        }
      : undefined,
    lab: {
      url: info.url,
      managers: info.layout.nodes.filter((n) => n.role === "manager").length,
      workers: info.layout.nodes.filter((n) => n.role === "worker").length,
      replicas: cfg.was.replicas,
      // What docs/measurements/ records beside the figures (npm run measurements -- record).
      machine: await readMachine(),
      images: info.images,
      bringUp: {
        seconds: info.totalSeconds,
        kind: info.reused ? "reused" : info.images.built.length ? "cold" : "warm",
        built: info.images.built,
        steps: info.timings,
      },
    },
    nfs,
    substitutions: SUBSTITUTIONS,
  };
  const files = writeReport(o.reportDir, report);
  log(`report: ${path.resolve(files.json)}, ${files.md}, ${files.svg}`);
  log(
    `${passed ? "PASSED" : "FAILED"}: detect ${r.detectSeconds} s (baseline ${baseline?.r.detectSeconds ?? "—"}), restore ${r.restoreSeconds} s (baseline ${baseline?.r.restoreSeconds ?? "—"}), ` +
      `${r.load.failed}/${r.load.requests} failed at ${r.load.connections} connections, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms` +
      (failures.length ? `; ${failures.join("; ")}` : ""),
  );
  return { passed, failures, file: files.json };
}
