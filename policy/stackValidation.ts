import type { ReportViolation, StackValidationArgs } from "@pulumi/policy";
import { StackFinding, StackResource } from "./clusterFacts";

/** Runs a plain stack check inside a stack policy, reporting each finding against its resource. */
export function reportFindings(
  check: (resources: readonly StackResource[]) => StackFinding[],
  args: StackValidationArgs,
  reportViolation: ReportViolation,
): void {
  const resources: StackResource[] = args.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: r.props,
  }));
  for (const f of check(resources))
    reportViolation(`${f.resource.name}: ${f.message}`, f.resource.urn);
}
