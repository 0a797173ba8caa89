/** Runs examples/existing-vpc under the mocks: the consumer program, through the package entry point. */
import * as path from "path";
import { MockedStack, Registration, runProgram } from "../mocks";

export const EXAMPLE_DIR = path.join(__dirname, "..", "..", "examples", "existing-vpc");
export const EXAMPLE_PROJECT = "swarm-ha-existing-vpc";

export function runExistingVpc(
  overrides: Record<string, string> = {},
  resources: Registration[] = [],
): Promise<MockedStack> {
  return runProgram("dev", overrides, resources, {
    program: {
      project: EXAMPLE_PROJECT,
      stackFile: path.join(EXAMPLE_DIR, "Pulumi.dev.yaml"),
      load: () => import("../../examples/existing-vpc/index"),
    },
  });
}
