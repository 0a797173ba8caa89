/** `npm run lab -- status`: the lab's containers and the swarm's own view of nodes and tasks. */
import { LabObserver } from "./adapters";
import { labContainers, Log } from "./lab";
import { SERVICE } from "./settings";

export async function status(log: Log): Promise<void> {
  const cs = await labContainers();
  if (cs.length === 0) {
    log("no lab is running (npm run lab to start one)");
    return;
  }
  for (const c of cs) log(`${c.name.padEnd(22)} ${c.role.padEnd(8)} ${c.state}`);
  const managers = cs
    .filter((c) => c.role === "manager")
    .map((c) => c.name)
    .sort();
  const obs = new LabObserver(managers);
  try {
    const [nodes, tasks] = await Promise.all([obs.nodes(), obs.tasks(SERVICE)]);
    const host = new Map(nodes.map((n) => [n.id, n.hostname]));
    log("swarm nodes:");
    for (const n of nodes)
      log(
        `  ${n.hostname.padEnd(22)} ${n.role.padEnd(8)} ${n.status}/${n.availability}${n.leader ? " leader" : ""}`,
      );
    log(`tasks of ${SERVICE} (desired running):`);
    for (const t of tasks.filter((t) => t.desiredState === "running"))
      log(`  slot ${t.slot} on ${host.get(t.nodeId) ?? t.nodeId}: ${t.state}`);
  } catch (e) {
    log(`swarm not readable: ${e instanceof Error ? e.message : e}`);
  }
}
