/**
 * Lab suites that need the same lab hand it on instead of removing it and building the same one
 * again (each bring-up costs about a minute on the 2-core CI machine). Every suite still calls `up()`
 * in its beforeAll: on a handed-over lab that is the reuse path, which skips only the containers and
 * still checks everything a fresh bring-up ends with (the service spec, convergence on Ready nodes,
 * the balancers' config, one holder of the floating address, every replica answering).
 *
 * A suite hands the lab on only when every test it ran passed and the next suite registered (the
 * import order of run.test.ts) asks for the same layout; otherwise it removes the lab, so a failure
 * never leaves its state to the next suite. run.test.ts removes whatever is left at the end.
 */
import { expect } from "vitest";
import type { RunnerTestFile, RunnerTestSuite } from "vitest";
import { down, labContainers, type Log } from "../../lab/lab";
import { layout, type LabOptions } from "../../lab/settings";

interface Entry {
  readonly name: string;
  readonly shape: string;
}

const order: Entry[] = [];

/** Did every test that ran pass, and no hook fail? */
export function suitePassed(suite: Readonly<RunnerTestSuite | RunnerTestFile>): boolean {
  if ((suite.result?.errors?.length ?? 0) > 0 || suite.result?.state === "fail") return false;
  return suite.tasks.every((t) => t.mode !== "run" || t.result?.state === "pass");
}

/** The decision, pure: hand on only a passing suite's lab to a next suite of the same layout. */
export function handOverTo(
  entries: readonly Entry[],
  index: number,
  passed: boolean,
): Entry | undefined {
  const next = entries[index + 1];
  return passed && next !== undefined && next.shape === entries[index].shape ? next : undefined;
}

export interface LabLease {
  /** In afterAll: hands the lab on to the next suite, or removes it (and checks nothing is left). */
  finish(suite: Readonly<RunnerTestSuite | RunnerTestFile>, say: Log): Promise<void>;
}

/** Registers a suite (at collection time, in import order) with the lab options it brings up. */
export function leaseLab(name: string, o: LabOptions): LabLease {
  const index = order.push({ name, shape: JSON.stringify(layout(o)) }) - 1;
  return {
    async finish(suite, say) {
      const started = suite.result?.startTime;
      if (started)
        say(
          `suite done in ${((Date.now() - started) / 1000).toFixed(1)} s (bring-up or reuse included)`,
        );
      const next = handOverTo(order, index, suitePassed(suite));
      if (next) {
        say(`every test passed: the lab stays up for "${next.name}", whose up() reuses it`);
        return;
      }
      await down(say);
      expect(await labContainers()).toEqual([]);
    },
  };
}
