/**
 * The machine a lab run measured on, recorded with its figures (matrix.json and report.json carry
 * it as `lab.machine`): a restore time means little without the cores, the CPU and the engine it
 * came from. docs/measurements/ files name the machine from this (scripts/measurements.ts).
 */
import * as os from "os";
import { checkEngine } from "./docker";

export interface MachineInfo {
  /** Logical CPUs the host reports (os.cpus()). */
  readonly cores: number;
  readonly cpuModel: string;
  /** The Docker engine's server version (docker info). */
  readonly dockerEngine: string;
  /** "1" or "2", as the engine reports it. */
  readonly cgroupVersion: string;
  /** The kernel release (uname -r). */
  readonly kernel: string;
}

/** The host's CPUs and kernel, and the engine's version and cgroup version. */
export async function readMachine(): Promise<MachineInfo> {
  const engine = await checkEngine();
  return machineInfo(os.cpus(), os.release(), engine);
}

/** Pure: the record from what the OS and the engine report. */
export function machineInfo(
  cpus: readonly { readonly model: string }[],
  kernel: string,
  engine: { readonly serverVersion: string; readonly cgroupVersion: string },
): MachineInfo {
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim().replace(/\s+/g, " ") ?? "unknown",
    dockerEngine: engine.serverVersion,
    cgroupVersion: engine.cgroupVersion,
    kernel,
  };
}
