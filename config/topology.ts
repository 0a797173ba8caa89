/**
 * Facts about the deployed topology that are known before anything is created: node names, the
 * availability zone each node lands in, the ports the topology already uses and the environment
 * the service spec owns. Pure data and arithmetic (no Pulumi), so the config check, the components
 * and the tests read the same rule. Tests in test/config/topology.test.ts hold each fact to the
 * program (under mocks) and to the renderers that use it.
 */

export type SwarmRole = "manager" | "worker";

/** Resource name index.ts gives the SwarmCluster; node hostnames are `${SWARM_CLUSTER_NAME}-<role>-<i>`. */
export const SWARM_CLUSTER_NAME = "swarm";

/** Hostname (and swarm node name) of the i-th manager or worker. */
export function swarmNodeName(
  role: SwarmRole,
  index: number,
  clusterName: string = SWARM_CLUSTER_NAME,
): string {
  return `${clusterName}-${role}-${index}`;
}

/**
 * The availability zone (index into the cluster subnets) of the i-th node of a role: round-robin,
 * workers offset by one so a single-AZ loss never takes every role. components/swarmCluster.ts
 * places instances with this function.
 */
export function swarmNodeZone(role: SwarmRole, index: number, zones: number): number {
  return (index + (role === "worker" ? 1 : 0)) % zones;
}

export interface ZoneCounts {
  readonly managers: readonly number[];
  readonly workers: readonly number[];
}

/** How many managers and workers each availability zone holds. */
export function nodesPerZone(managers: number, workers: number, zones: number): ZoneCounts {
  const count = (role: SwarmRole, n: number) => {
    const out = new Array<number>(zones).fill(0);
    for (let i = 0; i < n; i++) out[swarmNodeZone(role, i, zones)] += 1;
    return out;
  };
  return { managers: count("manager", managers), workers: count("worker", workers) };
}

/**
 * Ports the topology already uses on some machine, each with why. The WAS port is published on
 * every swarm node (host mode) and must collide with none of them. `swarm: true` marks the
 * swarm control/data plane ports (SWARM_PORTS below, which components/network.ts opens among
 * the cluster's members).
 */
export const TOPOLOGY_PORTS: ReadonlyArray<{
  readonly port: number;
  readonly protocol: "tcp" | "udp";
  readonly why: string;
  readonly swarm?: true;
}> = [
  { port: 22, protocol: "tcp", why: "SSH (provisioning and the chaos drill)" },
  { port: 80, protocol: "tcp", why: "nginx (HTTP)" },
  { port: 111, protocol: "tcp", why: "rpcbind (NFS client and server)" },
  { port: 443, protocol: "tcp", why: "nginx (HTTPS)" },
  { port: 2049, protocol: "tcp", why: "NFSv4 (the log server)" },
  { port: 2377, protocol: "tcp", why: "swarm cluster management (Raft, joins)", swarm: true },
  { port: 7946, protocol: "tcp", why: "node gossip", swarm: true },
  { port: 7946, protocol: "udp", why: "node gossip", swarm: true },
  { port: 4789, protocol: "udp", why: "overlay VXLAN data", swarm: true },
];

/** The swarm ports the cluster security group opens among its members. */
export const SWARM_PORTS = TOPOLOGY_PORTS.filter((p) => p.swarm === true);

/** The port numbers of TOPOLOGY_PORTS, each once, with the reasons joined. */
export function reservedPorts(): ReadonlyMap<number, string> {
  const out = new Map<number, string>();
  for (const p of TOPOLOGY_PORTS) {
    const why = `${p.why}, ${p.protocol}`;
    out.set(p.port, out.has(p.port) ? `${out.get(p.port)}; ${why}` : why);
  }
  return out;
}

/**
 * Environment variables renderers/serviceSpec.ts sets on every WAS task. A user value would change
 * what the container does behind the published port, health check or log mount's back.
 */
export const SERVICE_OWNED_ENV = [
  "PORT",
  "HEALTH_PATH",
  "LOG_DIR",
  "TASK_NAME",
  "TASK_SLOT",
  "NODE_NAME",
] as const;

/**
 * Fewest WAS replicas: the `minReplicas` default of the policy pack's `was-service-resilient`
 * (policy/wasServiceResilient.ts and policy/config.<stack>.json; a test holds them equal).
 */
export const MIN_WAS_REPLICAS = 2;
