/** Tag keys every resource carries (the policy pack and the chaos stopper's guard rely on them). */
export const TAG_PROJECT = "swarm-ha:project";
export const TAG_STACK = "swarm-ha:stack";
export const TAG_ROLE = "swarm-ha:role";
/** Unique per deployment (index.ts: a RandomId kept in state); the chaos guard checks it. */
export const TAG_DEPLOYMENT = "swarm-ha:deployment";

export interface StackIdentity {
  readonly project: string;
  readonly stack: string;
}

export type Role = "network" | "manager" | "worker" | "nfs" | "edge" | "swarm";

export function roleTags(id: StackIdentity, role: Role, name?: string): Record<string, string> {
  return {
    [TAG_PROJECT]: id.project,
    [TAG_STACK]: id.stack,
    [TAG_ROLE]: role,
    ...(name ? { Name: name } : {}),
  };
}
