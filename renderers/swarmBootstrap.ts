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
import { ZONE_LABEL } from "./serviceSpec";

export interface DockerAccess {
  /** Prefix docker with sudo (an SSH login on Ubuntu); the lab runs as root. Default false. */
  readonly sudo?: boolean;
  /** Seconds to wait for the engine to answer before giving up (cloud-init may still be installing it). Default 300. */
  readonly engineWaitSeconds?: number;
  /**
   * Wait for cloud-init to finish first (`cloud-init status --wait`): on EC2 the engine may answer
   * before runcmd has added the login user to the docker group and written daemon.json. Default false
   * (the lab's nodes have no cloud-init).
   */
  readonly waitForCloudInit?: boolean;
}

export interface SwarmInitModel extends DockerAccess {
  /** Address other nodes reach this manager on (its private IP). */
  readonly advertiseAddr: string;
  /**
   * Dispatcher heartbeat period in seconds, whole or fractional (0.5 = 500 ms; at least
   * MIN_HEARTBEAT_SECONDS, millisecond resolution). See heartbeatDuration for what it buys.
   */
  readonly dispatcherHeartbeatSeconds: number;
  /**
   * Another manager of the same cluster. When set, the script reads standard input: a manager join
   * token there (read from that peer by `renderJoinTokenRead(..., { onlyIfActive: true })`) means a
   * swarm already exists, so a blank node (a replaced first manager) joins it instead of
   * initialising a second swarm. Empty input: initialise. Default: none (always initialise).
   */
  readonly peerManagerAddr?: string;
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
  if (!isIpv4OrHostName(value))
    throw new Error(`${field} must be an IPv4 address or host name (got ${JSON.stringify(value)})`);
  return value;
}

function checkSeconds(field: string, value: number, min: number): number {
  // Numbers are interpolated into shell too, and `[ -ge ]` only takes integers.
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${field} must be a whole number >= ${min} (got ${value})`);
  return value;
}

/**
 * The shortest heartbeat accepted. swarmkit's dispatcher hands each agent a period drawn uniformly
 * from period ± 500 ms (a fixed epsilon, manager/dispatcher/period.go) and marks the node Down when
 * no heartbeat arrived within 3 times that drawn period (nodes.go, gracePeriodMultiplier 3). Below
 * 0.5 s the draw can be zero or negative: a node could be declared Down between two beats.
 */
export const MIN_HEARTBEAT_SECONDS = 0.5;

/**
 * The heartbeat as a Go duration for `docker swarm init|update --dispatcher-heartbeat`: whole seconds
 * as "2s", fractions in milliseconds ("750ms"). With period P a lost node is marked Down
 * 3 x (P ± 0.5 s) after its last beat: 1 s gives 1.5 to 4.5 s, 0.5 s gives 0 to 3 s (and a healthy
 * node whose drawn period is tiny must answer within 2 x that draw, or is marked Down falsely).
 */
export function heartbeatDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (
    !Number.isFinite(seconds) ||
    seconds < MIN_HEARTBEAT_SECONDS ||
    Math.abs(ms - seconds * 1000) > 1e-6
  ) {
    throw new Error(
      `dispatcherHeartbeatSeconds must be a number of seconds >= ${MIN_HEARTBEAT_SECONDS} with at most 3 decimals, e.g. 0.5 (got ${seconds})`,
    );
  }
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function preamble(access: DockerAccess): string {
  const docker = access.sudo ? "sudo docker" : "docker";
  const wait = checkSeconds("engineWaitSeconds", access.engineWaitSeconds ?? 300, 0);
  const cloudInit = access.waitForCloudInit
    ? [
        "# runcmd (docker group, daemon.json) ends after sshd is up: let cloud-init finish first.",
        "if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null 2>&1 || true; fi",
      ]
    : [];
  return [
    "#!/bin/sh",
    "set -eu",
    `DOCKER="${docker}"`,
    ...cloudInit,
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

/**
 * Initialises the swarm, or only re-applies its settings when this node already runs one. With a
 * `peerManagerAddr` and a manager token on standard input, a blank node joins the existing swarm
 * through that peer instead. Prints the node ID.
 */
export function renderSwarmInit(m: SwarmInitModel): string {
  const addr = checkAddr("advertiseAddr", m.advertiseAddr);
  const hb = heartbeatDuration(m.dispatcherHeartbeatSeconds);
  const create = `$DOCKER swarm init --advertise-addr ${addr} --listen-addr ${addr}:2377 --dispatcher-heartbeat ${hb} >/dev/null`;
  const start =
    m.peerManagerAddr === undefined
      ? `  ${create}`
      : `  token=""
  IFS= read -r token || true
  case "$token" in
    SWMTKN-*)
      # A swarm already runs on the other managers (this node was replaced): join it, never a second init.
      $DOCKER swarm join --token "$token" --advertise-addr ${addr} --listen-addr ${addr}:2377 ${checkAddr("peerManagerAddr", m.peerManagerAddr)}:2377 >/dev/null ;;
    "") ${create} ;;
    *) echo "expected a manager join token (SWMTKN-...) or nothing on standard input" >&2; exit 2 ;;
  esac`;
  return `${preamble(m)}
if [ "$state" != "active" ]; then
${start}
fi
# Re-applied on every run so a changed heartbeat reaches an existing swarm.
$DOCKER swarm update --dispatcher-heartbeat ${hb} >/dev/null
$DOCKER info --format '{{.Swarm.NodeID}}'
`;
}

/**
 * Prints the join token of a role on stdout (and nothing else). Run on a manager. With
 * `onlyIfActive`, a node outside any swarm prints nothing and succeeds (the peer probe of a replaced
 * first manager).
 */
export function renderJoinTokenRead(
  role: "manager" | "worker",
  access: DockerAccess & { readonly onlyIfActive?: boolean } = {},
): string {
  if (role !== "manager" && role !== "worker")
    throw new Error(`role must be manager or worker (got ${JSON.stringify(role)})`);
  const inactive = access.onlyIfActive
    ? `if [ "$state" != "active" ]; then exit 0; fi`
    : `if [ "$state" != "active" ]; then echo "this node is not in a swarm; run the init step first" >&2; exit 1; fi`;
  return `${preamble(access)}
${inactive}
$DOCKER swarm join-token -q ${role}
`;
}

/**
 * Joins the swarm with the token read from standard input. A node that is already a member of the
 * swarm `managerAddr` belongs to exits 0 without joining again. A node active in ANOTHER swarm (its
 * managers do not include `managerAddr`, e.g. after the first manager was replaced and initialised
 * anew): a worker leaves it and joins; a manager stops with exit 3, since leaving could break that
 * swarm's quorum. Prints the node ID.
 */
export function renderSwarmJoin(m: SwarmJoinModel): string {
  if (m.role !== "manager" && m.role !== "worker")
    throw new Error(`role must be manager or worker (got ${JSON.stringify(m.role)})`);
  const manager = checkAddr("managerAddr", m.managerAddr);
  const addr = checkAddr("advertiseAddr", m.advertiseAddr);
  const foreign =
    m.role === "worker"
      ? `  echo "this node is in another swarm (managers: $managers); leaving it to join ${manager}" >&2
  $DOCKER swarm leave --force >/dev/null`
      : `  echo "this manager is in another swarm (managers: $managers), not the one of ${manager}; remove it from that swarm (docker swarm leave --force) and run pulumi up again" >&2
  exit 3`;
  return `${preamble(m)}
if [ "$state" = "active" ]; then
  managers=$($DOCKER info --format '{{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}')
  case " $managers " in
    *" ${manager}:2377 "*)
      $DOCKER info --format '{{.Swarm.NodeID}}'
      exit 0 ;;
  esac
${foreign}
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

export interface SwarmPruneModel extends DockerAccess {
  /** Private addresses of every node that should be a member; any other member is removed. */
  readonly memberAddrs: readonly string[];
}

/**
 * Run on a manager after every join: demotes and removes each member whose address is not one of
 * the current instances (a replaced or deleted node, running or down), and each Down member whose
 * address a live member also holds (a replacement that was given its predecessor's private IP), so
 * dead managers never count against the Raft quorum and `docker node ls` lists only real nodes. A
 * Down member alone at a current address is kept: it may be a node that is only unreachable.
 * Prints the removed node IDs.
 */
export function renderSwarmPrune(m: SwarmPruneModel): string {
  if (m.memberAddrs.length === 0) throw new Error("memberAddrs must list at least this manager");
  const keep = m.memberAddrs.map((a) => checkAddr("memberAddrs", a)).join(" ");
  return `${preamble(m)}
if [ "$state" != "active" ]; then echo "this node is not in a swarm; run the init step first" >&2; exit 1; fi
keep=" ${keep} "
members=""
live=" "
for id in $($DOCKER node ls -q); do
  # A manager's Status.Addr may read 0.0.0.0; its ManagerStatus.Addr (ip:2377) is authoritative.
  line=$($DOCKER node inspect --format '{{.Status.State}} {{.Spec.Role}} {{.Status.Addr}} {{if .ManagerStatus}}{{.ManagerStatus.Addr}}{{end}}' "$id")
  read -r nodeState role addr managerAddr <<EOF
$line
EOF
  if [ "$role" = manager ] && [ -n "$managerAddr" ]; then addr=\${managerAddr%:*}; fi
  members="$members$id $nodeState $role $addr
"
  if [ "$nodeState" != down ]; then live="$live$addr "; fi
done
printf '%s' "$members" | while read -r id nodeState role addr; do
  case "$keep" in
    *" $addr "*)
      # A current address: keep it, unless this entry is Down and a live entry holds the same
      # address (the instance was replaced and its successor was given the same private IP).
      [ "$nodeState" = down ] || continue
      case "$live" in *" $addr "*) ;; *) continue ;; esac ;;
  esac
  if [ "$role" = manager ]; then $DOCKER node demote "$id" >/dev/null; fi
  $DOCKER node rm --force "$id" >/dev/null
  echo "$id"
done
`;
}

/** The node label holding a swarm node's availability zone (the WAS spreads its replicas over it). */
export const NODE_ZONE_LABEL = ZONE_LABEL;

export interface NodeLabelsModel extends DockerAccess {
  /** Every member to label: its swarm node ID (printed by the init/join step) and its zone. */
  readonly nodes: ReadonlyArray<{ readonly nodeId: string; readonly zone: string }>;
}

// A swarm node ID (25 base-36 characters) or a node name; either way nothing the shell would expand.
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ZONE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Run on a manager after the joins: sets `swarm-ha.zone=<zone>` on each member (AWS: the instance's
 * availability zone; lab: az-a/az-b/az-c by config/topology.ts's swarmNodeZone rule). Idempotent:
 * `--label-add` overwrites the value. Prints one `<node id> <zone>` line per member.
 */
export function renderNodeLabels(m: NodeLabelsModel): string {
  if (m.nodes.length === 0) throw new Error("nodes must list at least one member to label");
  const lines = m.nodes.map(({ nodeId, zone }) => {
    if (!NODE_ID.test(nodeId))
      throw new Error(
        `nodes[].nodeId must be a swarm node ID or name (letters, digits, _ . -) (got ${JSON.stringify(nodeId)})`,
      );
    if (!ZONE_NAME.test(zone))
      throw new Error(
        `nodes[].zone must be a zone name like eu-west-1a or az-b (got ${JSON.stringify(zone)})`,
      );
    return `$DOCKER node update --label-add ${NODE_ZONE_LABEL}=${zone} ${nodeId} >/dev/null\necho "${nodeId} ${zone}"`;
  });
  return `${preamble(m)}
if [ "$state" != "active" ]; then echo "this node is not in a swarm; run the init step first" >&2; exit 1; fi
${lines.join("\n")}
`;
}
