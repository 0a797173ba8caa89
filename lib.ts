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
 * On machines you already have (on-premises, another cloud, existing EC2), the same steps run
 * without the EC2 part: `SwarmBootstrap` (init/join/prune/labels over SSH on a list of hosts),
 * `NfsExport` and `EdgeConfig`, then `WasService` on the swarm (docs/hosts.md).
 *
 * Defaults are stated once: a WasService argument left out takes the default of the config key
 * of the same meaning in config/schema.ts (`schemaDefault`), which Pulumi.yaml and the README show.
 */
export {
  Network,
  ExistingNetwork,
  checkExistingNetworkArgs,
  SWARM_PORTS,
} from "./components/network";
export type {
  NetworkArgs,
  ExistingNetworkArgs,
  FirewallArgs,
  ClusterNetwork,
} from "./components/network";
export { SwarmCluster } from "./components/swarmCluster";
export type { SwarmClusterArgs, SwarmNode } from "./components/swarmCluster";
export { SSH_DIAL } from "./components/ssh";
export type { SshAccess } from "./components/ssh";
// swarm-ha on machines you already have (docs/hosts.md): what runs ON hosts, apart from what makes them.
export { SwarmBootstrap } from "./components/swarmBootstrap";
export type { SwarmBootstrapArgs, SwarmHost } from "./components/swarmBootstrap";
export { NfsExport } from "./components/nfsExport";
export type { NfsExportArgs } from "./components/nfsExport";
export { EdgeConfig } from "./components/edgeConfig";
export type { EdgeConfigArgs, BalancerHost, BalancerPair } from "./components/edgeConfig";
export type { SshLogin } from "./components/hostAccess";
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
export {
  ubuntuAmi,
  hasSimplifiedRecovery,
  SIMPLIFIED_RECOVERY_FAMILIES,
} from "./components/machine";
export { roleTags, TAG_DEPLOYMENT, TAG_PROJECT, TAG_ROLE, TAG_STACK } from "./base/tags";
export type { StackIdentity, Role } from "./base/tags";
export type { DrillReport } from "./base/drillReport";
