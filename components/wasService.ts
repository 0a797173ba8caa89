import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  NfsLogStore,
  renderServiceSpec,
  SAMPLE_APP,
  ServiceSpec,
  WAS_SERVICE_NAME,
  WasServiceModel,
} from "../renderers/serviceSpec";
import type { SshLogin } from "./hostAccess";
import { StackIdentity } from "../base/tags";
import { schemaDefault } from "../config/schema";

export interface WasServiceArgs {
  /** Project and stack; they name the Docker provider's SSH key file. */
  readonly identity: StackIdentity;
  /** Public address of a manager; the Docker provider talks to its engine over SSH. */
  readonly managerAddress: pulumi.Input<string>;
  /** Login and key the Docker provider's SSH transport uses to reach the manager (a proxy is not used). */
  readonly ssh: SshLogin;
  /** Image to run. Default: the sample application (app/server.js) on `sampleBaseImage`. */
  readonly image?: string;
  /** Node.js image the sample application runs on. Default: config key wasSampleBaseImage's (node:22-alpine). */
  readonly sampleBaseImage?: string;
  /** Replicas. Default: config key wasReplicas's (3). */
  readonly replicas?: number;
  /** Container port, published on each node in host mode. Default: config key wasPort's (8080). */
  readonly port?: number;
  /** Health check path. Default: config key wasHealthPath's (/healthz). */
  readonly healthPath?: string;
  /** Extra environment. Default none. */
  readonly env?: Readonly<Record<string, string>>;
  /** Restart/reschedule delay in seconds. Default: config key taskRestartDelaySeconds's (0). */
  readonly restartDelaySeconds?: number;
  /** Whether managers may run tasks. Default: config key managersRunTasks's (true). */
  readonly managersRunTasks?: boolean;
  /** Attach the tasks to an encrypted overlay network. Default false. */
  readonly encryptOverlay?: boolean;
  /**
   * The shared log store as an NFS export: the server's address (an NfsLogServer's `privateIp`) or
   * host name (an EfsLogStore's `dnsName`, resolved on each node), the exported path, and which
   * store it is, for its mount options (renderers/serviceSpec.ts NFS_MOUNT_OPTIONS). `store`
   * Default: config key logStore's (instance).
   */
  readonly nfs: {
    readonly server: pulumi.Input<string>;
    readonly exportPath: string;
    readonly store?: NfsLogStore;
  };
  /** Steps the service must wait for (every node joined, NFS server up). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Directory the Docker provider's SSH key file is written to. Default ~/.ssh. */
  readonly keyDir?: string;
  /**
   * Leave the Docker provider unconfigured (its host unknown) so it never dials the manager: for a
   * preview from a machine outside adminCidr (CI). The swarm resources then preview as unknown.
   * Default false.
   */
  readonly dockerOffline?: boolean;
}

/**
 * A duration as the Docker provider reads it back: Go's `time.Duration.String()` with a trailing
 * "0s" after minutes and "0m" after hours cut (terraform-provider-docker `shortDur`,
 * internal/provider/resource_docker_service_structures.go). The provider has no diff suppression
 * on these fields, so any other spelling ("0.5s" for "500ms", "60s" for "1m") is an update on
 * every `pulumi up`. `ns` is a whole number of nanoseconds, as the Engine API spec counts them.
 */
export function goDuration(ns: number): string {
  if (!Number.isSafeInteger(ns) || ns < 0)
    throw new Error(`a duration must be a whole number of nanoseconds >= 0 (got ${ns})`);
  if (ns === 0) return "0s";
  // Go prints the fraction with trailing zeros cut, and none at all when it is zero.
  const split = (v: number, digits: number): [number, string] => {
    const unit = 10 ** digits;
    const frac = String(v % unit)
      .padStart(digits, "0")
      .replace(/0+$/, "");
    return [Math.floor(v / unit), frac ? `.${frac}` : ""];
  };
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return split(ns, 3).join("") + "\u00b5s";
  if (ns < 1e9) return split(ns, 6).join("") + "ms";
  const [secs, frac] = split(ns, 9);
  const h = Math.floor(secs / 3600);
  const m = Math.floor(secs / 60) % 60;
  let text = `${secs % 60}${frac}s`;
  if (h > 0 || m > 0) text = `${m}m${text}`;
  if (h > 0) text = `${h}h${text}`;
  if (text.endsWith("m0s")) text = text.slice(0, -2);
  if (text.endsWith("h0m")) text = text.slice(0, -2);
  return text;
}

const seconds = goDuration;

/**
 * The provider reads MaxFailureRatio back as FormatFloat(v, 'f', 1) ("0.0" for 0): any other
 * spelling is a diff on every `pulumi up`, and a ratio with two decimals can never match.
 */
export function failureRatio(v: number): string {
  const text = v.toFixed(1);
  if (!(v >= 0 && v <= 1) || Number(text) !== v)
    throw new Error(`MaxFailureRatio must be 0..1 in steps of 0.1 (got ${v})`);
  return text;
}

/**
 * Docker keeps a named volume's options from its first creation on each node: a fixed name would
 * keep mounting a replaced NFS server's old address. The name carries a hash of address and export.
 */
export function nfsVolumeName(
  base: string,
  driverOptions: Readonly<Record<string, string>>,
): string {
  const addr = /(?:^|,)addr=([^,]+)/.exec(driverOptions.o ?? "")?.[1];
  if (!addr || !driverOptions.device)
    throw new Error("an NFS volume needs addr= in o and a device");
  const digest = createHash("sha256")
    .update(`${addr}:${driverOptions.device}`)
    .digest("hex")
    .slice(0, 10);
  return `${base}-${digest}`;
}

/** Writes the Docker provider's SSH key file (0600) on every run: the provider needs it on this machine. */
export function writeKeyFile(file: string, privateKey: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, {
    mode: 0o600,
  });
  fs.chmodSync(file, 0o600);
}

/**
 * Maps the Engine API ServiceSpec (the lab posts it as is) onto @pulumi/docker's Service inputs, so
 * the AWS service is the rendered spec and nothing else. Config and network IDs are resolved by the caller.
 */
export type ServiceInputs = Omit<
  Required<pulumi.Unwrap<docker.ServiceArgs>>,
  "auth" | "convergeConfig"
>;

export function toPulumiService(spec: ServiceSpec): ServiceInputs {
  const c = spec.TaskTemplate.ContainerSpec;
  const update = (u: ServiceSpec["UpdateConfig"]) => ({
    parallelism: u.Parallelism,
    delay: seconds(u.Delay),
    failureAction: u.FailureAction,
    monitor: seconds(u.Monitor),
    maxFailureRatio: failureRatio(u.MaxFailureRatio),
    order: u.Order,
  });
  return {
    name: spec.Name,
    labels: Object.entries(spec.Labels).map(([label, value]) => ({ label, value })),
    taskSpec: {
      containerSpec: {
        image: c.Image,
        hostname: c.Hostname,
        env: Object.fromEntries(
          c.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
        ),
        commands: c.Command,
        mounts: c.Mounts.map((m) => ({
          type: m.Type,
          source:
            m.VolumeOptions?.DriverConfig.Options.type === "nfs"
              ? nfsVolumeName(m.Source, m.VolumeOptions.DriverConfig.Options)
              : m.Source,
          target: m.Target,
          readOnly: m.ReadOnly,
          volumeOptions: m.VolumeOptions
            ? {
                driverName: m.VolumeOptions.DriverConfig.Name,
                driverOptions: m.VolumeOptions.DriverConfig.Options,
              }
            : undefined,
        })),
        healthcheck: {
          tests: c.HealthCheck.Test,
          interval: seconds(c.HealthCheck.Interval),
          timeout: seconds(c.HealthCheck.Timeout),
          retries: c.HealthCheck.Retries,
          startPeriod: seconds(c.HealthCheck.StartPeriod),
        },
        stopGracePeriod: seconds(c.StopGracePeriod),
        configs: c.Configs?.map((cf) => ({
          configId: cf.ConfigID,
          configName: cf.ConfigName,
          fileName: cf.File.Name,
          fileUid: cf.File.UID,
          fileGid: cf.File.GID,
          fileMode: cf.File.Mode,
        })),
      },
      restartPolicy: {
        condition: spec.TaskTemplate.RestartPolicy.Condition,
        delay: seconds(spec.TaskTemplate.RestartPolicy.Delay),
        maxAttempts: spec.TaskTemplate.RestartPolicy.MaxAttempts,
        window: seconds(spec.TaskTemplate.RestartPolicy.Window),
      },
      placement: {
        constraints: spec.TaskTemplate.Placement.Constraints,
        maxReplicas: spec.TaskTemplate.Placement.MaxReplicas,
        // The provider stores each string verbatim as a SpreadDescriptor (stringSetToPlacementPrefs)
        // and reads it back the same way; swarmkit spreads only over a descriptor that starts with
        // "node.labels." or "engine.labels." (manager/scheduler/nodeset.go), so no "spread=" prefix:
        // that is the docker CLI's flag syntax, which the CLI strips before it calls the API.
        prefs: spec.TaskTemplate.Placement.Preferences.map((p) => p.Spread.SpreadDescriptor),
      },
      networksAdvanceds: spec.TaskTemplate.Networks.map((n) => ({ name: n.Target })),
    },
    mode: { replicated: { replicas: spec.Mode.Replicated.Replicas } },
    updateConfig: update(spec.UpdateConfig),
    rollbackConfig: update(spec.RollbackConfig),
    endpointSpec: {
      mode: spec.EndpointSpec.Mode,
      ports: spec.EndpointSpec.Ports.map((p) => ({
        protocol: p.Protocol,
        targetPort: p.TargetPort,
        publishedPort: p.PublishedPort,
        publishMode: p.PublishMode,
      })),
    },
  };
}

/** The sample application's code, shipped to the swarm as a config. */
export function sampleAppSource(): string {
  return fs.readFileSync(path.join(__dirname, "..", "app", "server.js"), "utf8");
}

/**
 * The replicated WAS service on the swarm, through a Docker provider that reaches the manager's
 * engine over SSH. Replicas publish the WAS port in host mode (one per node), mount the NFS log
 * export (an NfsLogServer's or an EfsLogStore's), are health-checked, restarted after `restartDelaySeconds`, and updated one at a time with
 * automatic rollback when an update fails its health checks.
 */
export class WasService extends pulumi.ComponentResource {
  readonly serviceId: pulumi.Output<string>;
  readonly serviceName: string;
  readonly replicas: number;
  /** The rendered spec (with placeholders for config/network IDs), for reviews and the chaos check. */
  readonly spec: ServiceSpec;
  readonly mountTarget: string;

  constructor(name: string, args: WasServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:app:WasService", name, {}, opts);
    const parent = { parent: this };
    const replicas = args.replicas ?? schemaDefault<number>("wasReplicas", "number");
    this.serviceName = WAS_SERVICE_NAME;
    this.replicas = replicas;

    // The docker CLI's ssh transport needs the key in a file. It is written on every run (preview
    // included) before the provider is configured, so a teammate's machine or a CI runner has it too.
    const keyPath = path.join(
      args.keyDir ?? path.join(os.homedir(), ".ssh"),
      `swarm-ha-${args.identity.project}-${args.identity.stack}-docker.pem`,
    );
    const keyReady = pulumi.output(args.ssh.privateKey).apply((key) => {
      writeKeyFile(keyPath, key);
      return keyPath;
    });
    const host = args.dockerOffline
      ? pulumi.output(pulumi.unknown as unknown as string)
      : pulumi
          .all([args.managerAddress, keyReady])
          .apply(([addr]) => `ssh://${args.ssh.user}@${addr}`);
    const provider = new docker.Provider(
      `${name}-docker`,
      {
        host,
        sshOpts: [
          "-i",
          keyPath,
          "-o",
          "StrictHostKeyChecking=accept-new",
          "-o",
          "ConnectTimeout=10",
        ],
      },
      { ...parent, dependsOn: (args.dependsOn ?? []) as pulumi.Resource[] },
    );
    const withDocker = { parent: this, provider, dependsOn: args.dependsOn };

    const network = args.encryptOverlay
      ? new docker.Network(
          `${name}-net`,
          {
            name: "was-net",
            driver: "overlay",
            options: { encrypted: "true" },
          },
          {
            ...withDocker,
            // The provider reads `options` back from the network as swarm reports it, which adds the
            // allocated "com.docker.network.driver.overlay.vxlanid_list"; `options` is ForceNew, so the
            // read-back alone would replace the network on every `pulumi up`. The options never change
            // (the network exists only with encryptOverlay, always with these), so nothing is lost.
            ignoreChanges: ["options"],
          },
        )
      : undefined;

    let config: docker.ServiceConfig | undefined;
    if (!args.image) {
      const source = sampleAppSource();
      const digest = createHash("sha256").update(source).digest("hex").slice(0, 12);
      // Config contents are immutable in swarm: a new name per version lets the service roll over.
      config = new docker.ServiceConfig(
        `${name}-app`,
        {
          name: `was-app-${digest}`,
          data: Buffer.from(source).toString("base64"),
        },
        withDocker,
      );
    }

    const logVolume = (server: string) =>
      ({
        kind: "nfs",
        server,
        exportPath: args.nfs.exportPath,
        store: args.nfs.store ?? schemaDefault<NfsLogStore>("logStore", "string"),
      }) as const;
    const model: WasServiceModel = {
      name: this.serviceName,
      image:
        args.image ?? args.sampleBaseImage ?? schemaDefault<string>("wasSampleBaseImage", "string"),
      replicas,
      port: args.port ?? schemaDefault<number>("wasPort", "number"),
      healthPath: args.healthPath ?? schemaDefault<string>("wasHealthPath", "string"),
      env: args.env ?? {},
      logVolume: logVolume("NFS_SERVER"),
      restartDelaySeconds:
        args.restartDelaySeconds ?? schemaDefault<number>("taskRestartDelaySeconds", "number"),
      managersRunTasks:
        args.managersRunTasks ?? schemaDefault<boolean>("managersRunTasks", "boolean"),
      networks: network ? ["NETWORK_ID"] : [],
      command: config ? SAMPLE_APP.command : undefined,
      configs: config
        ? [{ id: "CONFIG_ID", name: "CONFIG_NAME", target: SAMPLE_APP.target }]
        : undefined,
    };
    this.spec = renderServiceSpec(model);
    this.mountTarget = this.spec.TaskTemplate.ContainerSpec.Mounts[0].Target;

    // Resolve the IDs known only after creation inside the rendered spec, then map it.
    const resolved = pulumi
      .all([args.nfs.server, network?.id ?? "", config?.id ?? "", config?.name ?? ""])
      .apply(([nfs, networkId, configId, configName]) =>
        toPulumiService(
          renderServiceSpec({
            ...model,
            logVolume: logVolume(nfs),
            networks: network ? [networkId] : [],
            configs: config
              ? [{ id: configId, name: configName, target: SAMPLE_APP.target }]
              : undefined,
          }),
        ),
      );
    const service = new docker.Service(
      `${name}-service`,
      {
        name: this.serviceName,
        taskSpec: resolved.taskSpec,
        mode: resolved.mode,
        updateConfig: resolved.updateConfig,
        rollbackConfig: resolved.rollbackConfig,
        endpointSpec: resolved.endpointSpec,
        labels: resolved.labels,
      },
      withDocker,
    );
    this.serviceId = service.id;
    this.registerOutputs({
      serviceId: this.serviceId,
      serviceName: this.serviceName,
      replicas: this.replicas,
      spec: this.spec,
      mountTarget: this.mountTarget,
    });
  }
}
