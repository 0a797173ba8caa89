/**
 * The node containers' own Docker engines, reached from the host through a second unix socket
 * each engine opens in a host directory (lab/images/node/entrypoint.sh): no TCP listener, no
 * `docker exec` per API call, and only root on the host can connect.
 */
import Docker from "dockerode";
import * as fs from "fs";
import * as path from "path";

export const RUN_DIR = path.resolve(__dirname, "..", ".lab", "run");

/** Host directory bind-mounted at /run/lab-api in the node container. */
export function nodeApiDir(node: string): string {
  return path.join(RUN_DIR, node);
}

export function nodeSocket(node: string): string {
  return path.join(nodeApiDir(node), "docker.sock");
}

/** A client for one node's engine; short timeout so a stopped node fails fast. */
export function nodeEngine(node: string, timeoutMs = 3000): Docker {
  return new Docker({ socketPath: nodeSocket(node), timeout: timeoutMs });
}

export function removeRunDirs(): void {
  fs.rmSync(RUN_DIR, { recursive: true, force: true });
}
