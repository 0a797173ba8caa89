/**
 * The fault kinds a chaos drill injects, listed once. Everything else derives from this list: the
 * config key `chaosFault` (config/schema.ts: its accepted values, its default, its description),
 * the ChaosCheck component's `fault`, `npm run chaos -- --fault`, and each environment's adapters,
 * which map every kind to a NodeStopper through a `Record<FaultKind, …>` (chaos/aws/awsFaults.ts,
 * lab/adapters.ts): adding a kind here is a compile error until every one of them handles it.
 */

/** The fault kinds `--fault`, the ChaosCheck and the config key `chaosFault` accept; `stop` is the default. */
export const FAULT_KINDS = ["stop", "kill", "partition"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const DEFAULT_FAULT: FaultKind = "stop";

export function isFaultKind(v: string): v is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(v);
}

/** What each kind means, for usage texts and reports. */
export const FAULT_MEANING: Readonly<Record<FaultKind, string>> = {
  stop: "graceful stop: the node drains its tasks and leaves",
  kill: "abrupt loss, no draining (docker kill; EC2 stop skipping the OS shutdown)",
  partition: "the node keeps running, cut off from the cluster and the balancers",
};

/** The kinds as a sentence names them: "stop, kill or partition". */
export function faultKindsText(): string {
  return `${FAULT_KINDS.slice(0, -1).join(", ")} or ${FAULT_KINDS[FAULT_KINDS.length - 1]}`;
}
