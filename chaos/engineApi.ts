/**
 * Docker Engine API objects → the drill's NodeInfo/TaskInfo, written once: the AWS observer reads
 * them as JSON text over SSH (chaos/aws.ts), the lab observer as objects from dockerode (lab/adapters.ts).
 */
import { ZONE_LABEL } from "../renderers/serviceSpec";
import type { NodeInfo, TaskInfo } from "./types";

type EngineObject = Record<string, any>;

/** One element of GET /nodes. A role other than manager/worker is refused, never guessed. */
export function nodeFromEngine(n: EngineObject): NodeInfo {
  const role = n.Spec?.Role;
  if (role !== "manager" && role !== "worker") throw new Error(`GET /nodes: node ${n.ID} has role ${JSON.stringify(role)}`);
  return {
    id: String(n.ID),
    hostname: String(n.Description?.Hostname ?? n.ID),
    role,
    status: String(n.Status?.State ?? "unknown"),
    availability: String(n.Spec?.Availability ?? "active"),
    leader: n.ManagerStatus?.Leader === true,
    ...(n.Status?.Addr ? { addr: String(n.Status.Addr) } : {}),
    ...(typeof n.Spec?.Labels?.[ZONE_LABEL] === "string" && n.Spec.Labels[ZONE_LABEL] !== "" ? { zone: n.Spec.Labels[ZONE_LABEL] } : {}),
  };
}

/** One element of GET /tasks. */
export function taskFromEngine(t: EngineObject): TaskInfo {
  return {
    id: String(t.ID),
    nodeId: String(t.NodeID ?? ""),
    ...(typeof t.Slot === "number" ? { slot: t.Slot } : {}),
    state: String(t.Status?.State ?? "unknown"),
    desiredState: String(t.DesiredState ?? "unknown"),
  };
}
