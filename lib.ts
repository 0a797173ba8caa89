/**
 * swarm-ha as a library: the components of the highly available web tier, for another Pulumi
 * TypeScript program (`import { SwarmCluster, … } from "swarm-ha"`). This repository's own program
 * (index.ts) wires them from stack config; examples/existing-vpc wires them into a VPC a team
 * already has.
 *
 * Wiring, bottom up: a network (`Network` builds a VPC; `ExistingNetwork` / `Network.existing`
 * takes yours) → `SwarmCluster` (managers + workers) → a log store (`NfsLogServer`, one instance, or
 * `EfsLogStore`, a mount target in every zone) → `WasService` on the swarm →
 * `EdgeTier` (nginx balancers) → optionally `ChaosCheck`. Arguments every machine component shares:
 * `identity` (project and stack, written into the tags the policy pack and the chaos guard read),
 * `ami` (`ubuntuAmi()`: the scripts target Ubuntu 24.04), and `ssh` (the key pair the instances
 * start with; `pulumi up` configures them over SSH from the machine it runs on).
 *
 * Defaults are stated once: a WasService argument left out takes the default of the config key
 * of the same meaning in config/schema.ts (`schemaDefault`), which Pulumi.yaml and the README show.
 */
export { Network, ExistingNetwork, checkExistingNetworkArgs, SWARM_PORTS } from "./components/network";
export type { NetworkArgs, ExistingNetworkArgs, FirewallArgs, ClusterNetwork } from "./components/network";
export { SwarmCluster } from "./components/swarmCluster";
export type { SwarmClusterArgs, SwarmNode } from "./components/swarmCluster";
export { SSH_DIAL } from "./components/ssh";
export type { SshAccess } from "./components/ssh";
export { NfsLogServer } from "./components/nfsServer";
export type { NfsLogServerArgs } from "./components/nfsServer";
export { EfsLogStore, EFS_EXPORT_PATH } from "./components/efsLogStore";
export type { EfsLogStoreArgs } from "./components/efsLogStore";
export { WasService } from "./components/wasService";
export { schemaDefault } from "./config/schema";
export type { WasServiceArgs } from "./components/wasService";
export { EdgeTier } from "./components/edge";
export type { EdgeTierArgs } from "./components/edge";
export { ChaosCheck } from "./components/chaosCheck";
export type { ChaosCheckArgs } from "./components/chaosCheck";
export { ubuntuAmi, hasSimplifiedRecovery, SIMPLIFIED_RECOVERY_FAMILIES } from "./components/machine";
export { roleTags, TAG_DEPLOYMENT, TAG_PROJECT, TAG_ROLE, TAG_STACK } from "./base/tags";
export type { StackIdentity, Role } from "./base/tags";
export type { DrillReport } from "./base/drillReport";
