/**
 * Docker Engine API objects → the drill's NodeInfo/TaskInfo, written once: the AWS observer reads
 * them as JSON text over SSH (chaos/aws/aws.ts), the lab observer as objects from dockerode (lab/adapters.ts).
 */
import { ZONE_LABEL } from "../renderers/serviceSpec";
import type { NodeInfo, TaskInfo } from "./types";

type EngineObject = Record<string, any>;

/** One element of GET /nodes. A role other than manager/worker is refused, never guessed. */
export function nodeFromEngine(n: EngineObject): NodeInfo {
  const role = n.Spec?.Role;
  if (role !== "manager" && role !== "worker")
    throw new Error(`GET /nodes: node ${n.ID} has role ${JSON.stringify(role)}`);
  return {
    id: String(n.ID),
    hostname: String(n.Description?.Hostname ?? n.ID),
    role,
    status: String(n.Status?.State ?? "unknown"),
    availability: String(n.Spec?.Availability ?? "active"),
    leader: n.ManagerStatus?.Leader === true,
    ...(n.Status?.Addr ? { addr: String(n.Status.Addr) } : {}),
    ...(typeof n.Spec?.Labels?.[ZONE_LABEL] === "string" && n.Spec.Labels[ZONE_LABEL] !== ""
      ? { zone: n.Spec.Labels[ZONE_LABEL] }
      : {}),
  };
}

/** One element of GET /tasks. */
export function taskFromEngine(t: EngineObject): TaskInfo {
  const since =
    typeof t.Status?.Timestamp === "string" ? parseDockerTime(t.Status.Timestamp) : undefined;
  return {
    id: String(t.ID),
    nodeId: String(t.NodeID ?? ""),
    ...(typeof t.Slot === "number" ? { slot: t.Slot } : {}),
    state: String(t.Status?.State ?? "unknown"),
    desiredState: String(t.DesiredState ?? "unknown"),
    ...(since !== undefined ? { stateSince: since } : {}),
  };
}

/**
 * Epoch ms of a Docker timestamp (RFC 3339 with up to nanoseconds, e.g.
 * "2026-12-01T09:21:03.123456789Z"); undefined for the zero time of a container never stopped,
 * or anything unparsable. The fraction is cut to ms before Date.parse (which wants at most 3 digits).
 */
export function parseDockerTime(s: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m || m[1].startsWith("0001-")) return undefined;
  const ms = Date.parse(`${m[1]}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}${m[3]}`);
  return Number.isNaN(ms) ? undefined : ms;
}
