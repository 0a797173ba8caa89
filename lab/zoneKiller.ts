/**
 * `--target az:<zone>` in the lab: every container of one zone killed at once (lab/zones.ts says
 * which; its balancer silenced first), started again on heal.
 */

import type { NodeStopper } from "../chaos/types";
import { ZONE_LABEL } from "../renderers/serviceSpec";
import { silenceContainer } from "./adapters";
import { docker, LabError } from "./docker";
import { labContainers } from "./lab";
import { zoneMembers } from "./zones";

/** Lab node containers' zones, read from the swarm (the label is the truth, not the rule). */
async function readNodeZones(): Promise<Map<string, string>> {
  const cs = await labContainers();
  const manager = cs.find((c) => c.role === "manager" && c.state === "running");
  if (!manager)
    throw new LabError(
      "no running lab manager to read the zone labels from; run `npm run lab -- up`",
    );
  const out = await docker([
    "exec",
    manager.name,
    "sh",
    "-c",
    `docker node inspect --format '{{.Description.Hostname}} {{index .Spec.Labels "${ZONE_LABEL}"}}' $(docker node ls -q)`,
  ]);
  const zones = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [host, zone] = line.trim().split(" ");
    if (host && zone) zones.set(host, zone);
  }
  return zones;
}

/**
 * `az-loss` in the lab: `docker kill` of every container of one zone in one call (node containers
 * and the zone's balancer), `docker start` of the same on heal. The target is the zone name.
 */
export class LabZoneKiller implements NodeStopper {
  private readonly killed = new Map<string, readonly string[]>();

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** The containers `zone` holds now. */
  async members(zone: string): Promise<string[]> {
    const nodeZones = await readNodeZones();
    const cs = await labContainers();
    const balancers = cs
      .filter((c) => c.role === "nginx")
      .map((c) => c.name)
      .sort();
    // Only what runs: a container already down is not the drill's to kill (nor to start afterwards).
    const up = new Set(cs.filter((c) => c.state === "running").map((c) => c.name));
    const members = zoneMembers(zone, nodeZones, balancers).filter((m) => up.has(m));
    if (members.length === 0)
      throw new LabError(
        `no lab container is in zone ${zone} (zones: ${[...new Set(nodeZones.values())].sort().join(", ") || "none labelled"})`,
      );
    return members;
  }

  async stop(zone: string): Promise<void> {
    const members = await this.members(zone);
    this.killed.set(zone, members);
    this.log(`az-loss: killing ${zone}: ${members.join(", ")}`);
    // The zone's balancer falls silent first, as a powered-off instance does (silenceContainer).
    const balancers = (await labContainers())
      .filter((c) => c.role === "nginx" && members.includes(c.name))
      .map((c) => c.name);
    await Promise.all(balancers.map((b) => silenceContainer(b)));
    await docker(["kill", ...members]);
  }

  async start(zone: string): Promise<void> {
    // In a fresh process nothing is remembered: the labels are read again (from a manager outside the zone).
    const members = this.killed.get(zone) ?? (await this.members(zone));
    this.log(`az-loss: starting ${members.join(", ")}`);
    await docker(["start", ...members]);
    this.killed.delete(zone);
  }
}
