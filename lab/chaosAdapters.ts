/**
 * `npm run chaos -- --lab`: the drill adapters for a lab that is already running (chaos/types.ts
 * LabDrillAdapters). Finds the managers and the entry point from the containers' labels.
 */
import type { CreateLabDrillAdapters } from "../chaos/types";
import { LabObserver, LabStopper } from "./adapters";
import { checkEngine, docker, LabError } from "./docker";
import { labContainers } from "./lab";
import { NETWORK, SERVICE } from "./settings";

/** The address clients use: the floating address when the lab runs a balancer pair, else the nginx container. */
export async function labEntryUrl(): Promise<string> {
  const running = (await labContainers()).filter(
    (c) => c.role === "nginx" && c.state === "running",
  );
  if (running.length === 0)
    throw new LabError("the lab has no running nginx container; run `npm run lab -- up`");
  const labels = await docker([
    "inspect",
    "--format",
    '{{index .Config.Labels "swarm-ha.entry"}}',
    running[0].name,
  ]);
  if (labels.trim() !== "") return `http://${labels.trim()}/`;
  const ip = await docker([
    "inspect",
    "--format",
    `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`,
    running[0].name,
  ]);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip.trim()))
    throw new LabError(`cannot read the address of ${running[0].name} on ${NETWORK}`);
  return `http://${ip.trim()}/`;
}

export const createLabDrillAdapters: CreateLabDrillAdapters = async ({ log }) => {
  await checkEngine();
  const cs = await labContainers();
  const managers = cs
    .filter((c) => c.role === "manager" && c.state === "running")
    .map((c) => c.name)
    .sort();
  if (managers.length === 0) {
    throw new LabError(
      "no lab is running (no manager container): start one with `npm run lab -- up --no-drill`",
    );
  }
  const stopped = cs.filter(
    (c) => (c.role === "manager" || c.role === "worker") && c.state !== "running",
  );
  if (stopped.length > 0) {
    throw new LabError(
      `lab nodes are not running: ${stopped.map((c) => c.name).join(", ")}; start them (docker start) or re-run \`npm run lab -- up\``,
    );
  }
  const url = await labEntryUrl();
  log(
    `lab: ${managers.length} manager(s), ${cs.filter((c) => c.role === "worker").length} worker(s), entry ${url}`,
  );
  return {
    observer: new LabObserver(managers),
    stopper: new LabStopper(),
    service: SERVICE,
    url,
  };
};
