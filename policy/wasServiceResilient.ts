import * as docker from "@pulumi/docker";
import {
  PolicyConfigSchema,
  ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { Props, asRecord, asStringList, report, shown } from "./settings";

export interface WasServiceSettings {
  readonly minReplicas: number;
  /** Restart conditions that bring a failed task back ("none" would leave it dead). */
  readonly restartConditions: readonly string[];
}

export const wasServiceConfigSchema: PolicyConfigSchema = {
  properties: {
    minReplicas: {
      type: "integer",
      minimum: 1,
      default: 2,
      description: "Fewest replicas a swarm service may run.",
    },
    restartConditions: {
      type: "array",
      items: { type: "string", enum: ["any", "on-failure", "none"] },
      default: ["any", "on-failure"],
      description: "Accepted taskSpec.restartPolicy.condition values.",
    },
  },
};

/**
 * What makes the WAS self-healing: a second replica to serve while one is rescheduled, a restart
 * policy so swarm replaces a dead task, a healthcheck so a hung task counts as dead, and an update
 * that rolls back instead of leaving a half-deployed, failing version in place.
 */
export function checkWasServiceResilient(props: Props, settings: WasServiceSettings): string[] {
  const out: string[] = [];
  const mode = asRecord(props.mode);
  if (mode?.global === true) {
    out.push(
      `mode.global is set; the WAS must run in replicated mode with at least ${settings.minReplicas} replicas`,
    );
  } else {
    const replicas = asRecord(mode?.replicated)?.replicas;
    // Docker's default for a replicated service without a count is 1.
    const n = typeof replicas === "number" ? replicas : 1;
    if (n < settings.minReplicas) {
      out.push(
        `mode.replicated.replicas must be at least ${settings.minReplicas}, got ${shown(replicas)}${replicas === undefined ? " (defaults to 1)" : ""}`,
      );
    }
  }

  const taskSpec = asRecord(props.taskSpec);
  const condition = asRecord(taskSpec?.restartPolicy)?.condition;
  if (typeof condition !== "string" || !settings.restartConditions.includes(condition)) {
    out.push(
      `taskSpec.restartPolicy.condition must be one of ${settings.restartConditions.join(", ")}, got ${shown(condition)}`,
    );
  }

  const hc = asRecord(asRecord(taskSpec?.containerSpec)?.healthcheck);
  const tests = asStringList(hc?.tests);
  if (tests.length === 0 || tests[0] === "NONE") {
    out.push(
      `taskSpec.containerSpec.healthcheck.tests must define a health command, got ${shown(hc?.tests)}`,
    );
  }

  const failureAction = asRecord(props.updateConfig)?.failureAction;
  if (failureAction !== "rollback") {
    out.push(`updateConfig.failureAction must be "rollback", got ${shown(failureAction)}`);
  }
  return out;
}

/** Applies to every swarm service: the WAS is the only one, and a future service needs the same. */
export const wasServiceResilient: ResourceValidationPolicy = {
  name: "was-service-resilient",
  description:
    "Swarm services run >= 2 replicas with a restart policy, a healthcheck and rollback on a failed update.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: wasServiceConfigSchema,
  validateResource: validateResourceOfType(docker.Service, (props, args, reportViolation) =>
    report(wasServiceConfigSchema, checkWasServiceResilient, props, args, reportViolation),
  ),
};
