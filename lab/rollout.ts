/**
 * Waiting for a service update to finish rolling out. `UpdateStatus` alone is racy right after an
 * update call (the engine may not have marked it "updating" yet), so this compares what each
 * running task was created from with the service's current task template.
 */
import { LabError } from "./docker";
import { nodeEngine } from "./engines";

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export async function waitRolledOut(
  manager: string,
  service: string,
  timeoutMs: number,
): Promise<void> {
  const api = nodeEngine(manager, 10_000);
  const until = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const svc = (await api.getService(service).inspect()) as Record<string, any>;
      const template = svc.Spec.TaskTemplate;
      const desired = svc.Spec.Mode?.Replicated?.Replicas as number;
      const tasks = (await api.listTasks({
        filters: JSON.stringify({ service: [service], "desired-state": ["running"] }),
      })) as Array<Record<string, any>>;
      const current = tasks.filter(
        (t) =>
          t.Status?.State === "running" &&
          same(t.Spec?.ContainerSpec, template.ContainerSpec) &&
          same(t.Spec?.RestartPolicy, template.RestartPolicy),
      );
      const state = svc.UpdateStatus?.State as string | undefined;
      last = `${current.length}/${desired} running from the current spec, ${tasks.length} desired running${state ? `, update ${state}` : ""}`;
      if (
        current.length === desired &&
        tasks.length === desired &&
        state !== "updating" &&
        state !== "rollback_started"
      )
        return;
    } catch (e) {
      last = e instanceof Error ? e.message.split("\n")[0] : String(e);
    }
    if (Date.now() > until)
      throw new LabError(
        `service ${service} did not finish rolling out within ${timeoutMs / 1000} s: ${last}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}
