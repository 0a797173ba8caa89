/**
 * The swarm-ha CrossGuard pack. Every policy sets its own default level (all "mandatory"); change
 * one, or all at once with the key "all", per stack with `--policy-pack-config <file>.json`
 * (see README.md).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// No `description` here: the pack's description is PulumiPolicy.yaml's, written once (one set
// here would override it).
new PolicyPack("swarm-ha", {
  provider: "aws",
  tags: ["aws", "docker", "swarm-ha"],
  enforcementLevel: "mandatory",
  policies: [...policies],
});
