/**
 * The swarm-ha CrossGuard pack. Every policy sets its own default level (all "mandatory"); change
 * one, or all at once with the key "all", per stack with `--policy-pack-config <file>.json`
 * (see README.md).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("swarm-ha", {
  description: "Security and resilience baseline of the swarm-ha Docker Swarm program.",
  provider: "aws",
  tags: ["aws", "docker", "swarm-ha"],
  enforcementLevel: "mandatory",
  policies: [...policies],
});
