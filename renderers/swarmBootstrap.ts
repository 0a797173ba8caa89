/**
 * Swarm bootstrap scripts: `docker swarm init` on the first manager, join-token reads, and
 * `docker swarm join` on every other node. POSIX sh, idempotent, and the only place these commands
 * are written: the AWS components run them over SSH (@pulumi/command) and the lab runs them with
 * `docker exec` in its node containers.
 *
 * Join tokens never appear in a script or an argument list that Pulumi records: the join script
 * reads the token from standard input, which the caller passes as a secret.
 */
import { isIpv4OrHostName } from "../base/ipv4";

export interface DockerAccess {
  /** Prefix docker with sudo (an SSH login on Ubuntu); the lab runs as root. Default false. */
  readonly sudo?: boolean;
  /** Seconds to wait for the engine to answer before giving up (cloud-init may still be installing it). Default 300. */
  readonly engineWaitSeconds?: number;
}

export interface SwarmInitModel extends DockerAccess {
  /** Address other nodes reach this manager on (its private IP). */
  readonly advertiseAddr: string;
  /** Dispatcher heartbeat period; detection of a stopped node takes about 3 to 4 of these. */
  readonly dispatcherHeartbeatSeconds: number;
}

export interface SwarmJoinModel extends DockerAccess {
  readonly role: "manager" | "worker";
  /** Address of a manager that is already in the swarm. */
  readonly managerAddr: string;
  /** Address this node advertises (its private IP). */
  readonly advertiseAddr: string;
}

function checkAddr(field: string, value: string): string {
  // Addresses are interpolated into shell; only plain IPv4 literals or DNS names are accepted.
  if (!isIpv4OrHostName(value)) throw new Error(`${field} must be an IPv4 address or host name (got ${JSON.stringify(value)})`);
  return value;
}

function checkSeconds(field: string, value: number, min: number): number {
  // Numbers are interpolated into shell too, and `[ -ge ]` only takes integers.
  if (!Number.isInteger(value) || value < min) throw new Error(`${field} must be a whole number >= ${min} (got ${value})`);
  return value;
}

function preamble(access: DockerAccess): string {
  const docker = access.sudo ? "sudo docker" : "docker";
  const wait = checkSeconds("engineWaitSeconds", access.engineWaitSeconds ?? 300, 0);
  return [
    "#!/bin/sh",
    "set -eu",
    `DOCKER="${docker}"`,
    "# The engine may still be installing (cloud-init) or starting (lab node): wait for it.",
    "waited=0",
    "until $DOCKER info >/dev/null 2>&1; do",
    `  if [ "$waited" -ge ${wait} ]; then echo "docker engine did not answer within ${wait}s" >&2; exit 1; fi`,
    "  sleep 2",
    "  waited=$((waited + 2))",
    "done",
    "state=$($DOCKER info --format '{{.Swarm.LocalNodeState}}')",
  ].join("\n");
}

/** Initialises the swarm, or only re-applies its settings when this node already runs one. Prints the node ID. */
export function renderSwarmInit(m: SwarmInitModel): string {
  const addr = checkAddr("advertiseAddr", m.advertiseAddr);
  const hb = `${checkSeconds("dispatcherHeartbeatSeconds", m.dispatcherHeartbeatSeconds, 1)}s`;
  return `${preamble(m)}
if [ "$state" != "active" ]; then
  $DOCKER swarm init --advertise-addr ${addr} --listen-addr ${addr}:2377 --dispatcher-heartbeat ${hb} >/dev/null
fi
# Re-applied on every run so a changed heartbeat reaches an existing swarm.
$DOCKER swarm update --dispatcher-heartbeat ${hb} >/dev/null
$DOCKER info --format '{{.Swarm.NodeID}}'
`;
}

/** Prints the join token of a role on stdout (and nothing else). Run on a manager. */
export function renderJoinTokenRead(role: "manager" | "worker", access: DockerAccess = {}): string {
  if (role !== "manager" && role !== "worker") throw new Error(`role must be manager or worker (got ${JSON.stringify(role)})`);
  return `${preamble(access)}
if [ "$state" != "active" ]; then echo "this node is not in a swarm; run the init step first" >&2; exit 1; fi
$DOCKER swarm join-token -q ${role}
`;
}

/**
 * Joins the swarm with the token read from standard input. A node that is already a member
 * exits 0 without joining again. Prints the node ID.
 */
export function renderSwarmJoin(m: SwarmJoinModel): string {
  if (m.role !== "manager" && m.role !== "worker") throw new Error(`role must be manager or worker (got ${JSON.stringify(m.role)})`);
  const manager = checkAddr("managerAddr", m.managerAddr);
  const addr = checkAddr("advertiseAddr", m.advertiseAddr);
  return `${preamble(m)}
if [ "$state" = "active" ]; then
  $DOCKER info --format '{{.Swarm.NodeID}}'
  exit 0
fi
token=""
IFS= read -r token || true
case "$token" in
  SWMTKN-*) ;;
  *) echo "expected a swarm join token (SWMTKN-...) on standard input" >&2; exit 2 ;;
esac
$DOCKER swarm join --token "$token" --advertise-addr ${addr} --listen-addr ${addr}:2377 ${manager}:2377 >/dev/null
$DOCKER info --format '{{.Swarm.NodeID}}'
`;
}
