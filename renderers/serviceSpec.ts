/**
 * The WAS service as a Docker Engine API ServiceSpec (plain JSON). The lab posts it to the manager
 * as it is; the AWS component maps the same object onto @pulumi/docker's Service, so both run the
 * same replicas, healthcheck, restart, update and placement settings.
 *
 * Placement design (see README "Placement"): each task publishes the WAS port in host mode on its
 * node, at most one task per node, and nginx lists every node that may run a task. The config
 * check guarantees at least one more eligible node than replicas, so when a node stops its task
 * has a free node to be rescheduled on (the "host-mode trap" otherwise leaves it Pending).
 */

export type LogVolume =
  /**
   * AWS: a Docker `local` volume of type nfs, mounted by each node's kernel NFS client with the
   * options of `store` (NFS_MOUNT_OPTIONS; default "instance"). `server` is an address or, for EFS,
   * the file system's DNS name (Docker resolves it on the node, so each node gets its own zone's
   * mount target).
   */
  | {
      readonly kind: "nfs";
      readonly server: string;
      readonly exportPath: string;
      readonly store?: NfsLogStore;
    }
  /** Lab: a directory on the node that is the NFS export's own backing store (no kernel NFS client here). */
  | { readonly kind: "bind"; readonly hostPath: string };

/** The AWS log stores (config/schema.ts LOG_STORES; a test holds the two equal, renderers import nothing from config/). */
export type NfsLogStore = "instance" | "efs";

/**
 * Mount options of the log volume per store. Docker's `local` driver does not run mount.nfs: it
 * resolves a host name in `addr=` and calls mount(2) itself (moby volume/local/local_unix.go,
 * moby/sys mount/mounter_linux.go), and the kernel leaves `bg`, `fg` and `retry=` to user space
 * (linux fs/nfs/fs_context.c), so nfs(5)'s `retry=` (default 2 minutes in the foreground) bounds
 * nothing here. What bounds a mount, and every later request, is soft/hard with timeo and retrans.
 *
 * - efs: AWS's recommended options, verbatim ("Mount settings used by EFS mount helper",
 *   docs.aws.amazon.com/efs/latest/ug/mount-helper-setting.html). EFS answers in every zone; a node
 *   mounts the target of its own zone.
 * - instance: soft, so a task that starts while the one NFS server is down fails its mount after a
 *   bounded time (nfsMountBoundSeconds: 60 s) and swarm restarts it, instead of blocking in mount(2)
 *   with hard's "retried indefinitely" (nfs(5)). The price: an outage longer than that returns EIO
 *   to a running writer, and the sample app then logs to stderr (`docker service logs`) instead of
 *   the share. docs/log-store.md "What a mount does in an outage".
 */
export const NFS_MOUNT_OPTIONS: Readonly<Record<NfsLogStore, string>> = {
  efs: "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport",
  instance: "nfsvers=4.1,rw,soft,timeo=150,retrans=3",
};

/**
 * How long a soft mount lets one NFS request (a mount's first one included) wait before failing it
 * over TCP: the RPC layer's major timeout. Linux sets, for TCP, the first wait to timeo (tenths of a
 * second), each retransmission's increment to timeo and the ceiling to timeo + timeo x retrans, at
 * most 600 s (fs/nfs/client.c nfs_init_timeout_values), and gives up at timeo + increment x retrans
 * (net/sunrpc/xprt.c xprt_calc_majortimeo). Infinity for a hard mount (nfs(5): "NFS requests are
 * retried indefinitely"; hard is the default).
 */
export function nfsMountBoundSeconds(options: string): number {
  const opts = options.split(",");
  if (!opts.includes("soft") || opts.includes("hard")) return Infinity;
  const num = (key: string, fallback: number) => {
    const v = opts.find((o) => o.startsWith(`${key}=`));
    return v === undefined ? fallback : Number(v.slice(key.length + 1));
  };
  const timeo = Math.min(num("timeo", 600) / 10, 600);
  return Math.min(timeo * (1 + num("retrans", 2)), 600);
}

export interface WasServiceModel {
  readonly name: string;
  readonly image: string;
  readonly replicas: number;
  /** Container port, also published on each node in host mode. */
  readonly port: number;
  readonly healthPath: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logVolume: LogVolume;
  /** Delay before a failed task is restarted or rescheduled. */
  readonly restartDelaySeconds: number;
  /** When false, tasks are constrained to workers. */
  readonly managersRunTasks: boolean;
  /** Overlay networks to attach (e.g. the encrypted one); default none. */
  readonly networks?: readonly string[];
  /** Command overriding the image's (the sample app runs `node /app/server.js`). */
  readonly command?: readonly string[];
  /** Swarm configs mounted as read-only files (the sample app's code, when no image bakes it in). */
  readonly configs?: readonly ConfigFile[];
}

export interface ConfigFile {
  /** Config ID (Engine API needs it; the Pulumi mapping uses the ServiceConfig resource's id). */
  readonly id: string;
  readonly name: string;
  /** Absolute path of the file in the container. */
  readonly target: string;
}

/** The sample application (app/server.js) as the WAS: code shipped as a swarm config on a stock Node image. */
export const SAMPLE_APP = {
  target: "/app/server.js",
  command: ["node", "/app/server.js"],
} as const;

/** Swarm service name of the WAS, on AWS and in the lab. */
export const WAS_SERVICE_NAME = "was";

/** Where the WAS container writes its logs; the app reads LOG_DIR. */
export const WAS_LOG_DIR = "/var/log/was";
export const WAS_LOG_VOLUME = "was-logs";

const SECOND = 1_000_000_000; // the Engine API counts durations in nanoseconds

/**
 * Healthcheck timings: a dead task is detected within about interval x retries. The interval is also
 * how long a rescheduled task waits before its first check (Docker before 25 has no start interval):
 * swarm reports a task with a healthcheck `running` only once it is healthy, so every restore waits
 * at least one interval after the container starts. 0.5 s, not 1 s: lab-measured at 200 connections,
 * start to healthy 0.58-0.69 s instead of 1.31 s (README "Restore speed"); the price is two probes a
 * second per task.
 */
export const HEALTHCHECK = {
  intervalSeconds: 0.5,
  timeoutSeconds: 2,
  retries: 2,
  startPeriodSeconds: 5,
} as const;
/**
 * Node label carrying a swarm node's availability zone (AWS: the instance's AZ; lab: az-a/az-b/az-c by
 * config/topology.ts's swarmNodeZone rule). Set after the join by renderNodeLabels (swarmBootstrap.ts).
 */
export const ZONE_LABEL = "swarm-ha.zone";
/** The WAS spreads its replicas evenly over the values of the zone label (a placement preference). */
export const ZONE_SPREAD = `node.labels.${ZONE_LABEL}`;

export const UPDATE = {
  parallelism: 1,
  delaySeconds: 2,
  monitorSeconds: 10,
  maxFailureRatio: 0,
} as const;

export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Hostname: string;
      Env: string[];
      Mounts: Array<{
        Type: "volume" | "bind";
        Source: string;
        Target: string;
        ReadOnly: boolean;
        VolumeOptions?: { DriverConfig: { Name: string; Options: Record<string, string> } };
      }>;
      HealthCheck: {
        Test: string[];
        Interval: number;
        Timeout: number;
        Retries: number;
        StartPeriod: number;
      };
      StopGracePeriod: number;
      Command?: string[];
      Configs?: Array<{
        ConfigID: string;
        ConfigName: string;
        File: { Name: string; UID: string; GID: string; Mode: number };
      }>;
    };
    RestartPolicy: { Condition: "any"; Delay: number; MaxAttempts: number; Window: number };
    Placement: {
      Constraints: string[];
      MaxReplicas: number;
      Preferences: Array<{ Spread: { SpreadDescriptor: string } }>;
    };
    Networks: Array<{ Target: string }>;
  };
  Mode: { Replicated: { Replicas: number } };
  UpdateConfig: UpdateSettings;
  RollbackConfig: UpdateSettings;
  EndpointSpec: {
    Mode: "dnsrr";
    Ports: Array<{
      Protocol: "tcp";
      TargetPort: number;
      PublishedPort: number;
      PublishMode: "host";
    }>;
  };
}

interface UpdateSettings {
  Parallelism: number;
  Delay: number;
  FailureAction: "rollback" | "pause";
  Monitor: number;
  MaxFailureRatio: number;
  Order: "stop-first";
}

/** The shell test the healthcheck runs; works with curl or busybox/wget images. */
export function healthcheckCommand(port: number, path: string): string[] {
  const url = `http://127.0.0.1:${port}${path}`;
  return ["CMD-SHELL", `curl -fsS -o /dev/null ${url} || wget -q -O /dev/null ${url} || exit 1`];
}

export function renderServiceSpec(m: WasServiceModel): ServiceSpec {
  if (!Number.isInteger(m.replicas) || m.replicas < 1)
    throw new Error(`replicas must be >= 1 (got ${m.replicas})`);
  const mount =
    m.logVolume.kind === "nfs"
      ? {
          Type: "volume" as const,
          Source: WAS_LOG_VOLUME,
          Target: WAS_LOG_DIR,
          ReadOnly: false,
          VolumeOptions: {
            DriverConfig: {
              Name: "local",
              Options: {
                type: "nfs",
                o: `addr=${m.logVolume.server},${NFS_MOUNT_OPTIONS[m.logVolume.store ?? "instance"]}`,
                device: `:${m.logVolume.exportPath}`,
              },
            },
          },
        }
      : {
          Type: "bind" as const,
          Source: m.logVolume.hostPath,
          Target: WAS_LOG_DIR,
          ReadOnly: false,
        };
  const update: UpdateSettings = {
    Parallelism: UPDATE.parallelism,
    Delay: UPDATE.delaySeconds * SECOND,
    FailureAction: "rollback",
    Monitor: UPDATE.monitorSeconds * SECOND,
    MaxFailureRatio: UPDATE.maxFailureRatio,
    // stop-first: a node runs at most one task (host-mode port); nginx retries the other nodes meanwhile.
    Order: "stop-first",
  };
  return {
    Name: m.name,
    Labels: { "swarm-ha.role": "was" },
    TaskTemplate: {
      ContainerSpec: {
        Image: m.image,
        Hostname: "{{.Node.Hostname}}",
        Env: [
          `PORT=${m.port}`,
          `HEALTH_PATH=${m.healthPath}`,
          `LOG_DIR=${WAS_LOG_DIR}`,
          "TASK_NAME={{.Task.Name}}",
          "TASK_SLOT={{.Task.Slot}}",
          "NODE_NAME={{.Node.Hostname}}",
          ...Object.entries(m.env)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => `${k}=${v}`),
        ],
        Mounts: [mount],
        HealthCheck: {
          Test: healthcheckCommand(m.port, m.healthPath),
          Interval: HEALTHCHECK.intervalSeconds * SECOND,
          Timeout: HEALTHCHECK.timeoutSeconds * SECOND,
          Retries: HEALTHCHECK.retries,
          StartPeriod: HEALTHCHECK.startPeriodSeconds * SECOND,
        },
        StopGracePeriod: 5 * SECOND,
        ...(m.command ? { Command: [...m.command] } : {}),
        ...(m.configs && m.configs.length > 0
          ? {
              Configs: m.configs.map((c) => ({
                ConfigID: c.id,
                ConfigName: c.name,
                File: { Name: c.target, UID: "0", GID: "0", Mode: 0o444 },
              })),
            }
          : {}),
      },
      RestartPolicy: {
        Condition: "any",
        Delay: m.restartDelaySeconds * SECOND,
        MaxAttempts: 0,
        Window: 0,
      },
      Placement: {
        Constraints: m.managersRunTasks ? [] : ["node.role==worker"],
        MaxReplicas: 1,
        // Spread, not a constraint: a node without the label still takes a task (it counts as its own
        // "zone"), so a lost zone's replicas land on the zones left instead of staying Pending.
        Preferences: [{ Spread: { SpreadDescriptor: ZONE_SPREAD } }],
      },
      Networks: (m.networks ?? []).map((Target) => ({ Target })),
    },
    Mode: { Replicated: { Replicas: m.replicas } },
    UpdateConfig: update,
    RollbackConfig: { ...update, FailureAction: "pause" },
    // dnsrr + host-mode ports: no VIP and no ingress mesh, which need IPVS (absent in the lab kernel).
    EndpointSpec: {
      Mode: "dnsrr",
      Ports: [{ Protocol: "tcp", TargetPort: m.port, PublishedPort: m.port, PublishMode: "host" }],
    },
  };
}
