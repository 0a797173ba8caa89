/**
 * The lab's `partition` fault, as shell run inside a node container (`docker exec`): the node keeps
 * running (its engine, its task containers) but every packet in or out of its lab-network interface
 * is dropped in the node's own network namespace. Two rules, none in the filter table where dockerd
 * keeps re-inserting its own FORWARD jumps:
 * - `raw PREROUTING -i IFACE -j DROP`: everything arriving, before conntrack, so established flows
 *   (the swarm's gRPC session, nginx's keep-alive upstreams) die too, for the host and for the tasks;
 * - `mangle POSTROUTING -o IFACE -j DROP`: everything leaving, the node's own and its tasks'.
 * Measured on the lab machine: iptables 1.8.9 (nf_tables) in the node image accepts both with the
 * node's capabilities (no --privileged), and `-D` of an absent rule exits 1 (the heal loops on it).
 *
 * The cut writes a token; the safety (started detached next to the cut) heals after N seconds only
 * while that token is current, so a killed drill never leaves a node partitioned and a newer
 * partition is not healed by an older safety. The heal is idempotent.
 */

/** Where the node records which partition is current (cleared by the heal). */
export const PARTITION_MARK = "/run/swarm-ha-partition";

export interface LabPartitionArgs {
  /** The node's interface on the lab network. Default eth0 (the node container's only network). */
  readonly iface?: string;
  /** The mark file. Default PARTITION_MARK (tests point it elsewhere). */
  readonly markFile?: string;
}

function checkMark(file: string): string {
  if (!/^\/[A-Za-z0-9_./-]+$/.test(file))
    throw new Error(
      `mark file ${JSON.stringify(file)}: an absolute path of letters, digits, _ . / -`,
    );
  return file;
}

interface Rule {
  readonly table: string;
  readonly chain: string;
  readonly match: string;
}

const RULES = (iface: string): Rule[] => [
  { table: "raw", chain: "PREROUTING", match: `-i ${iface} -j DROP` },
  { table: "mangle", chain: "POSTROUTING", match: `-o ${iface} -j DROP` },
];

/** `iptables -w -t TABLE OP CHAIN [1] MATCH` (-I inserts first in the chain). */
const ipt = (r: Rule, op: "-I" | "-D" | "-C") =>
  `iptables -w -t ${r.table} ${op} ${r.chain}${op === "-I" ? " 1" : ""} ${r.match}`;

function checkIface(iface: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(iface))
    throw new Error(
      `interface name ${JSON.stringify(iface)}: letters, digits, _ . - only, at most 15`,
    );
  return iface;
}

function checkToken(token: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(token))
    throw new Error(`partition token ${JSON.stringify(token)}: letters, digits and - only`);
  return token;
}

/** Every copy of both rules removed, the mark cleared, and a check that none is left (exit 1 if one is). */
function healLines(iface: string, mark: string): string[] {
  return [
    ...RULES(iface).map((r) => `while ${ipt(r, "-D")} 2>/dev/null; do :; done`),
    `rm -f ${mark}`,
    ...RULES(iface).map(
      (r) =>
        `if ${ipt(r, "-C")} 2>/dev/null; then echo "partition rule still present: ${r.table} ${r.chain} ${r.match}" >&2; exit 1; fi`,
    ),
  ];
}

/** Cuts the node off: mark, then both DROP rules (first in their chains). Fails if the interface is absent. */
export function renderPartitionCut(token: string, args: LabPartitionArgs = {}): string {
  const iface = checkIface(args.iface ?? "eth0");
  const mark = checkMark(args.markFile ?? PARTITION_MARK);
  return [
    "set -eu",
    `[ -e /sys/class/net/${iface} ] || { echo "no interface ${iface} in this node" >&2; exit 1; }`,
    `echo ${checkToken(token)} > ${mark}`,
    ...RULES(iface).map((r) => ipt(r, "-I")),
    "",
  ].join("\n");
}

/** Undoes any partition of this node (idempotent: a second heal, or one with nothing cut, succeeds). */
export function renderPartitionHeal(args: LabPartitionArgs = {}): string {
  return [
    "set -u",
    ...healLines(checkIface(args.iface ?? "eth0"), checkMark(args.markFile ?? PARTITION_MARK)),
    "",
  ].join("\n");
}

/** The safety: after `seconds`, heals if partition `token` is still the current one. */
export function renderPartitionExpiry(
  token: string,
  seconds: number,
  args: LabPartitionArgs = {},
): string {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400)
    throw new Error(`partition expiry ${seconds}: a whole number of seconds from 1 to 86400`);
  return [
    "set -u",
    `sleep ${seconds}`,
    `[ "$(cat ${checkMark(args.markFile ?? PARTITION_MARK)} 2>/dev/null)" = "${checkToken(token)}" ] || exit 0`,
    `echo "swarm-ha: partition ${token} expired after ${seconds} s; healing" >&2`,
    ...healLines(checkIface(args.iface ?? "eth0"), checkMark(args.markFile ?? PARTITION_MARK)),
    "",
  ].join("\n");
}

/**
 * The lab's silent kill of a balancer, first step (lab/adapters.ts silenceContainer): every link but
 * lo down inside the container's own namespace, so it answers nothing, as a powered-off host; then
 * the time in ns (coreutils date) for the drill's fault-effective clock.
 */
export function renderSilence(): string {
  return `#!/bin/sh
for dev in /sys/class/net/*; do
  name=\${dev##*/}
  [ "$name" = lo ] || ip link set dev "$name" down
done
date +%s%N
`;
}
