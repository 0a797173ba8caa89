/**
 * keepalived for the nginx balancer pair: one VRRP instance per node, unicast adverts to the other
 * node (AWS VPCs carry no multicast), a health check that puts a node whose nginx does not answer
 * into FAULT, and a notify script that records the node's state and, on AWS, moves the Elastic IP
 * to the new MASTER. The AWS edge instances and the lab's nginx containers are configured from
 * these same functions; only `floating` differs.
 *
 * Facts measured with Debian 12's keepalived 2.2.7 (Ubuntu 24.04 carries 2.2.8, the same line):
 * - `track_process` is not compiled in (`keepalived --version` lists no TRACK_PROCESS): the
 *   keyword is rejected. It also needs the kernel's process-events connector, which answers only
 *   in the initial PID namespace, so it could not work in the lab's containers anyway.
 * - A `vrrp_script` whose binary is missing is disabled at start-up with one log line and the
 *   instance then runs as if it had no check at all; `pgrep` sees only keepalived's own PID
 *   namespace (a keepalived container sharing nginx's network but not its PIDs gets 1 with nginx
 *   running) and says nothing about nginx answering. Hence the check below: curl of nginx's own
 *   /nginx-health over loopback, which fails when nginx is down, hung or misconfigured.
 * - Without `script_user`, keepalived looks for a `keepalived_script` user, falls back to root and
 *   logs "SECURITY VIOLATION - scripts are being executed but script_security not enabled".
 *   `script_user root` with `enable_script_security` runs checks and notify scripts as root and
 *   refuses any script whose file or directory a non-root user could write.
 * - A per-script `user nobody` makes `keepalived -t` kill itself (SIGTERM, exit 143), so the check
 *   runs as the global script user; it is a fixed argv (keepalived 2.x execs it without a shell).
 * - `keepalived -t` fails with "No VIP specified; at least one is sensible" for an instance with
 *   no `virtual_ipaddress`, and fails on an interface the host does not have.
 */
import { parse, stringify } from "yaml";
import { parseCidr, parseIpv4 } from "../base/ipv4";
import { renderEdgeUserData } from "./cloudInit";

/**
 * The shell the health check runs in: the real file, not the merged-/usr symlink \`/bin/sh\`, which
 * keepalived 2.3 refuses under enable_script_security. Present on every merged-/usr system.
 */
export const CHECK_SHELL = "/usr/bin/sh";

/** Where the rendered files live on a balancer (AWS instance or lab container). */
export const KEEPALIVED_PATHS = {
  conf: "/etc/keepalived/keepalived.conf",
  notifyScript: "/etc/keepalived/swarm-ha-notify.sh",
  /** The notify script writes MASTER, BACKUP or FAULT here (what a drill reads to find the holder). */
  stateFile: "/run/swarm-ha-vrrp.state",
  /**
   * Present while the balancer drains (the lab entrypoint creates it on SIGTERM, before nginx
   * quits): the health check then passes, so keepalived keeps the address until nginx has closed
   * every connection and keepalived is stopped on purpose. Without it the check fails as soon as
   * nginx closes its listening socket, and a drain longer than two checks would move the address
   * while nginx still answers requests, whose connections the new holder then resets.
   */
  drainFlag: "/run/swarm-ha-draining",
  /** systemd drop-in for keepalived.service on the AWS instances. */
  systemdDropIn: "/etc/systemd/system/keepalived.service.d/swarm-ha.conf",
} as const;

/**
 * On AWS the public address is an Elastic IP, which never appears on the instance (it is NAT at the
 * VPC edge), yet keepalived 2.2 refuses an instance without a virtual address. This loopback-only
 * address is that virtual address: it sits on `lo` of the current MASTER only, so
 * `ip -4 addr show dev lo` tells locally who holds the EIP, and it reaches nothing beyond the host.
 */
export const HOLDER_MARKER_ADDRESS = "127.0.0.100/32";

/** VRRP and health-check timings (seconds). */
export const KEEPALIVED_TUNING = {
  /**
   * Advert interval (VRRPv3 counts it in centiseconds; VRRPv2 only in whole seconds, and keepalived
   * rounds a fraction up with a warning). A BACKUP declares the MASTER dead after 3 missed adverts
   * plus its skew ((256 - priority) / 256 of an interval): 0.1 s gives the standby (priority 100)
   * 0.36 s (RFC 5798 section 6.1). Not just under the 1 s takeover budget: a request in flight on
   * a silently dead holder is retransmitted by the client's TCP 0.2, 0.6 and 1.4 s after it was
   * sent (200 ms minimum RTO, doubling), and only a retransmission that reaches the new holder gets
   * the reset that makes the client resend. Taking over before 0.6 s saves a second on each such
   * request (lab, 200 connections: p99 2.4 s with 0.25 s adverts, whose takeover was 0.9 s).
   */
  advertIntSeconds: 0.1,
  checkIntervalSeconds: 1,
  /**
   * Nice value of keepalived's VRRP process (-20 to 19): adverts every 0.1 s must not wait behind
   * a busy CPU, or the standby declares a live holder dead (a false takeover resets every open
   * connection). Real-time scheduling (vrrp_rt_priority) is not used: Docker's cgroup-v1 containers
   * get no real-time budget (cpu.rt_runtime_us 0), so it would work on AWS only.
   */
  vrrpNice: -20,
  /** curl's own limit; keepalived kills the check after checkTimeoutSeconds. */
  curlMaxTimeSeconds: 1,
  checkTimeoutSeconds: 2,
  /** Consecutive failures before FAULT: one slow answer under load must not move the address. */
  checkFall: 2,
  /** Consecutive successes before a FAULT node may stand again. */
  checkRise: 2,
  /** Priorities; see `renderKeepalivedConf` for why both start BACKUP with nopreempt. */
  primaryPriority: 150,
  standbyPriority: 100,
} as const;

/** What the pair shares as its public entry point. */
export type FloatingAddress =
  /** Lab: a floating IP on the container network, held by the MASTER (gratuitous ARP moves it). */
  | { readonly kind: "vip"; readonly address: string }
  /** AWS: an Elastic IP moved by the notify script (see `renderNotifyScript`). */
  | { readonly kind: "eip" };

export interface KeepalivedModel {
  /** This node's name, keepalived's router_id (e.g. edge-0). */
  readonly nodeName: string;
  /** "primary" starts with the higher priority and wins the first election; "standby" the lower. */
  readonly role: "primary" | "standby";
  /** Interface VRRP adverts leave from (and the VIP is added to in the lab), e.g. ens5 or eth0. */
  readonly interface: string;
  /** This node's address on that interface (unicast_src_ip). */
  readonly selfIp: string;
  /** The other node's address (the only unicast_peer). */
  readonly peerIp: string;
  readonly floating: FloatingAddress;
  /** VRRP router id shared by the pair, 1-255. Default 51. */
  readonly virtualRouterId?: number;
  /** URL nginx answers itself (renderNginxConf's health path). Default http://127.0.0.1/nginx-health. */
  readonly healthUrl?: string;
  /** Absolute path of the notify script. Default KEEPALIVED_PATHS.notifyScript. */
  readonly notifyScript?: string;
  /** While this file exists the health check passes (the node drains). Default KEEPALIVED_PATHS.drainFlag. */
  readonly drainFlag?: string;
}

function validIpv4(s: string): boolean {
  return parseIpv4(s, { canonical: true }) !== undefined;
}

function validCidr(s: string): boolean {
  return parseCidr(s, { canonical: true }) !== undefined;
}

function fail(field: string, reason: string, got: unknown): never {
  throw new Error(`keepalived ${field} ${reason} (got ${JSON.stringify(got)})`);
}

/**
 * keepalived.conf for one node of the pair.
 *
 * Election: both nodes start BACKUP with `nopreempt`; the primary's higher priority (150 vs 100)
 * only decides the first election, so the node that holds the address at start is the one the EIP
 * is attached to by Pulumi. After a failover the survivor keeps the address: when the old MASTER
 * returns it hears the current MASTER's adverts within its master-down interval and stays BACKUP.
 * Preemption (150/100 without nopreempt) would instead move the address a second time on every
 * return (a second EIP re-association on AWS: seconds without a working entry point), and a node
 * whose nginx flaps would pull the address back and forth. Equal priorities with nopreempt would
 * avoid that too, but leave the first election to the higher IP address, not to node 0.
 *
 * Demotion: the check (curl of nginx's health URL) failing `checkFall` times in a row puts the node
 * in FAULT: a MASTER then sends a priority-0 advert and the BACKUP takes over at once, without
 * waiting the master-down interval; the node comes back as BACKUP after `checkRise` successes.
 */
export function renderKeepalivedConf(m: KeepalivedModel): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(m.nodeName))
    fail("nodeName", "must be a host-name-like token", m.nodeName);
  if (m.role !== "primary" && m.role !== "standby")
    fail("role", 'must be "primary" or "standby"', m.role);
  // Linux interface names: at most 15 characters, no spaces or slashes.
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(m.interface) || m.interface === "lo") {
    fail("interface", "must be a non-loopback Linux interface name (e.g. ens5, eth0)", m.interface);
  }
  if (!validIpv4(m.selfIp)) fail("selfIp", "must be an IPv4 address", m.selfIp);
  if (!validIpv4(m.peerIp)) fail("peerIp", "must be an IPv4 address", m.peerIp);
  if (m.selfIp === m.peerIp)
    fail("peerIp", "must differ from selfIp (a node cannot be its own peer)", m.peerIp);
  const vrid = m.virtualRouterId ?? 51;
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255)
    fail("virtualRouterId", "must be an integer 1-255", vrid);
  const healthUrl = m.healthUrl ?? "http://127.0.0.1/nginx-health";
  if (!/^http:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/[A-Za-z0-9._~\/-]*$/.test(healthUrl)) {
    fail("healthUrl", "must be a plain http:// URL like http://127.0.0.1/nginx-health", healthUrl);
  }
  const notify = m.notifyScript ?? KEEPALIVED_PATHS.notifyScript;
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(notify))
    fail("notifyScript", "must be an absolute path", notify);
  const drainFlag = m.drainFlag ?? KEEPALIVED_PATHS.drainFlag;
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(drainFlag))
    fail("drainFlag", "must be an absolute path", drainFlag);
  let vip: string;
  if (m.floating.kind === "vip") {
    if (!validCidr(m.floating.address))
      fail("floating.address", "must be an IPv4 CIDR like 172.28.0.100/24", m.floating.address);
    if (
      m.floating.address.split("/")[0] === m.selfIp ||
      m.floating.address.split("/")[0] === m.peerIp
    ) {
      fail("floating.address", "must differ from both nodes' own addresses", m.floating.address);
    }
    vip = `${m.floating.address} dev ${m.interface}`;
  } else if (m.floating.kind === "eip") {
    vip = `${HOLDER_MARKER_ADDRESS} dev lo`;
  } else {
    fail("floating.kind", 'must be "vip" or "eip"', (m.floating as { kind: unknown }).kind);
  }

  const t = KEEPALIVED_TUNING;
  const priority = m.role === "primary" ? t.primaryPriority : t.standbyPriority;
  const holder =
    m.floating.kind === "vip"
      ? "# The floating IP lives on the MASTER's interface; gratuitous ARP moves it on takeover."
      : "# Loopback marker of the EIP holder (keepalived needs a virtual address; the EIP is moved by\n  # the notify script through the EC2 API).";
  return `# Rendered by swarm-ha (renderers/keepalived.ts); do not edit by hand.
global_defs {
  router_id ${m.nodeName}
  # VRRPv3 (RFC 5798): sub-second adverts. It has no authentication; the peers are fixed (unicast)
  # and on AWS only the pair's own security group admits VRRP (IP protocol 112).
  vrrp_version 3
  # Checks and notify scripts run as root, and only from files no other user can write.
  script_user root
  enable_script_security
  # Adverts ahead of busy processes, never swapped out: a starved holder looks dead to its peer.
  vrrp_priority ${t.vrrpNice}
  vrrp_no_swap
}

# Passes while the node drains (${drainFlag}): the address stays until nginx has closed
# its connections and keepalived is stopped, whose priority-0 advert hands it over at once.
vrrp_script chk_nginx {
  script "${CHECK_SHELL} -c '[ -e ${drainFlag} ] || exec /usr/bin/curl -fsS --max-time ${t.curlMaxTimeSeconds} -o /dev/null ${healthUrl}'"
  interval ${t.checkIntervalSeconds}
  timeout ${t.checkTimeoutSeconds}
  fall ${t.checkFall}
  rise ${t.checkRise}
}

vrrp_instance edge {
  # Both nodes start BACKUP with nopreempt: a returning node never takes the address back.
  state BACKUP
  nopreempt
  interface ${m.interface}
  virtual_router_id ${vrid}
  priority ${priority}
  advert_int ${t.advertIntSeconds}
  # Unicast adverts to the other node only (no multicast in an AWS VPC).
  unicast_src_ip ${m.selfIp}
  unicast_peer {
    ${m.peerIp}
  }
  ${holder}
  virtual_ipaddress {
    ${vip}
  }
  track_script {
    chk_nginx
  }
  notify_master "${notify} MASTER"
  notify_backup "${notify} BACKUP"
  notify_fault "${notify} FAULT"
}
`;
}

/** Elastic IP takeover done by the notify script on MASTER (AWS only). */
export interface EipTakeover {
  /** Allocation id of the pair's Elastic IP (eipalloc-...). */
  readonly allocationId: string;
  /** associate-address attempts before giving up. Default 5. */
  readonly attempts?: number;
  /** Seconds between attempts (multiplied by the attempt number). Default 1. */
  readonly retryDelaySeconds?: number;
  /** The AWS CLI (the snap on Ubuntu 24.04, which has no awscli package). Default /snap/bin/aws. */
  readonly awsCli?: string;
  /** Instance metadata endpoint (IMDSv2). Default http://169.254.169.254. */
  readonly imdsEndpoint?: string;
}

export interface NotifyModel {
  /** Present on AWS: on MASTER, move this Elastic IP to the instance. Absent in the lab. */
  readonly eip?: EipTakeover;
  /** File the state is written to. Default KEEPALIVED_PATHS.stateFile. */
  readonly stateFile?: string;
  /** syslog tag. Default swarm-ha-vrrp. */
  readonly logTag?: string;
}

/**
 * The notify script keepalived runs with MASTER, BACKUP or FAULT. It writes the state file and logs
 * (journalctl -t swarm-ha-vrrp); on AWS, on MASTER, it moves the Elastic IP to this instance:
 * instance id and region from IMDSv2 (token first; the instances accept nothing else), then
 * `aws ec2 associate-address --allow-reassociation` with retries. It asks describe-addresses first
 * and skips an association already in place (EC2 may charge each remap, even to the same instance).
 * `<script> check` makes a DryRun association instead: exit 0 if the instance role allows it.
 */
export function renderNotifyScript(m: NotifyModel = {}): string {
  const stateFile = m.stateFile ?? KEEPALIVED_PATHS.stateFile;
  const tag = m.logTag ?? "swarm-ha-vrrp";
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(stateFile))
    fail("stateFile", "must be an absolute path", stateFile);
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(tag)) fail("logTag", "must be a short token", tag);
  const header = `#!/bin/sh
# Rendered by swarm-ha (renderers/keepalived.ts); do not edit by hand.
# keepalived notify script: $1 is MASTER, BACKUP or FAULT${m.eip ? ", or check (IAM dry run)" : ""}.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
export PATH
STATE_FILE='${stateFile}'

log() {
  echo "$*" >&2
  logger -t ${tag} -- "$*" 2>/dev/null || true
}

state=\${1:-}
`;
  const record = `case "$state" in
  MASTER | BACKUP | FAULT)
    echo "$state" > "$STATE_FILE.tmp" && mv "$STATE_FILE.tmp" "$STATE_FILE"
    log "state $state"
    ;;
  ${m.eip ? "check) ;;\n  " : ""}*)
    log "unknown state '$state'"
    exit 2
    ;;
esac
`;
  if (!m.eip) return `${header}\n${record}`;

  const e = m.eip;
  if (!/^eipalloc-[0-9a-z]+$/.test(e.allocationId))
    fail("eip.allocationId", "must be an allocation id (eipalloc-...)", e.allocationId);
  const attempts = e.attempts ?? 5;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20)
    fail("eip.attempts", "must be an integer 1-20", attempts);
  const delay = e.retryDelaySeconds ?? 1;
  if (!Number.isInteger(delay) || delay < 0 || delay > 30)
    fail("eip.retryDelaySeconds", "must be an integer 0-30", delay);
  const awsCli = e.awsCli ?? "/snap/bin/aws";
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(awsCli)) fail("eip.awsCli", "must be an absolute path", awsCli);
  const imds = e.imdsEndpoint ?? "http://169.254.169.254";
  if (!/^http:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(imds))
    fail("eip.imdsEndpoint", "must be http://host[:port]", imds);

  return `${header}ALLOCATION_ID='${e.allocationId}'
ATTEMPTS=${attempts}
RETRY_DELAY=${delay}
AWS='${awsCli}'
IMDS='${imds}'

# IMDSv2: a session token first (the instances refuse token-less metadata calls).
# shellcheck disable=SC2317 # called through retry's "$@", which shellcheck cannot follow
imds_get() {
  token=$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token") || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"
}

# Runs "$@" up to ATTEMPTS times (API throttling, IAM propagation right after launch).
retry() {
  what=$1
  shift
  n=1
  while :; do
    if out=$("$@" 2>&1); then
      printf '%s\\n' "$out"
      return 0
    fi
    log "$what: attempt $n/$ATTEMPTS failed: $out"
    if [ "$n" -ge "$ATTEMPTS" ]; then
      return 1
    fi
    sleep $((RETRY_DELAY * n))
    n=$((n + 1))
  done
}

${record}
if [ "$state" != MASTER ] && [ "$state" != check ]; then
  exit 0
fi

if ! instance_id=$(retry "instance id from IMDS" imds_get instance-id); then
  log "cannot read the instance id from IMDS: the Elastic IP stays where it is"
  exit 1
fi
if ! region=$(retry "region from IMDS" imds_get placement/region); then
  log "cannot read the region from IMDS: the Elastic IP stays where it is"
  exit 1
fi

if [ "$state" = check ]; then
  # DryRun answers DryRunOperation when allowed and UnauthorizedOperation when not, without acting.
  out=$("$AWS" ec2 associate-address --region "$region" --allocation-id "$ALLOCATION_ID" \\
    --instance-id "$instance_id" --allow-reassociation --dry-run 2>&1)
  case "$out" in
    *DryRunOperation*)
      log "check: this instance may move $ALLOCATION_ID to itself"
      exit 0
      ;;
    *)
      log "check: associate-address is not allowed for $instance_id: $out"
      exit 1
      ;;
  esac
fi

holder=$("$AWS" ec2 describe-addresses --region "$region" --allocation-ids "$ALLOCATION_ID" \\
  --query 'Addresses[0].InstanceId' --output text 2>/dev/null || echo unknown)
if [ "$holder" = "$instance_id" ]; then
  log "MASTER: $ALLOCATION_ID is already on $instance_id"
  exit 0
fi

started=$(date +%s)
if retry "associate-address" "$AWS" ec2 associate-address --region "$region" --allocation-id "$ALLOCATION_ID" \\
  --instance-id "$instance_id" --allow-reassociation --output text >/dev/null; then
  log "MASTER: moved $ALLOCATION_ID from $holder to $instance_id in $(($(date +%s) - started)) s"
  exit 0
fi
log "MASTER: could not move $ALLOCATION_ID to $instance_id after $ATTEMPTS attempts"
exit 1
`;
}

/**
 * keepalived.service drop-in for the AWS instances: start after nginx, and come back if it dies
 * (Debian's unit has no Restart=; a pair whose keepalived is gone has no standby).
 */
export function renderKeepalivedDropIn(): string {
  return `# Rendered by swarm-ha (renderers/keepalived.ts); do not edit by hand.
[Unit]
After=nginx.service network-online.target
Wants=network-online.target

[Service]
Restart=on-failure
RestartSec=2s
`;
}

export interface EdgePairUserData {
  readonly hostname: string;
}

/**
 * User data of a balancer in an AWS pair: renderEdgeUserData's nginx plus keepalived and curl (the
 * check and IMDS calls), the AWS CLI from its snap (Ubuntu 24.04 ships no awscli package), and the
 * keepalived.service drop-in. keepalived.conf and the notify script are pushed over SSH later: they
 * name the peer's address and the EIP allocation, which exist only after the instances. Debian's
 * unit does not start keepalived before a keepalived.conf exists (ConditionFileNotEmpty).
 */
export function renderEdgePairUserData(m: EdgePairUserData): string {
  const base = renderEdgeUserData({ hostname: m.hostname, extraPackages: ["keepalived", "curl"] });
  const cfg = parse(base) as Record<string, unknown>;
  const writeFiles = (cfg.write_files as unknown[] | undefined) ?? [];
  const out = {
    ...cfg,
    snap: { commands: [["snap", "install", "aws-cli", "--classic"]] },
    write_files: [
      ...writeFiles,
      {
        path: KEEPALIVED_PATHS.systemdDropIn,
        content: renderKeepalivedDropIn(),
        permissions: "0644",
      },
    ],
  };
  return `#cloud-config\n${stringify(out, { lineWidth: 0 })}`;
}
