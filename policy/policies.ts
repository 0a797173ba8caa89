/**
 * The pack's policies, in one list shared by the PolicyPack (index.ts) and `evaluatePack`. Kept out
 * of index.ts because constructing a PolicyPack starts the analyzer's gRPC server.
 */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allowedInstanceFamilies } from "./allowedInstanceFamilies";
import { ec2AutoRecovery } from "./autoRecovery";
import { clusterPortsFromClusterOnly } from "./clusterPortsFromClusterOnly";
import { ebsEncrypted } from "./ebsEncrypted";
import { efsEncrypted } from "./efsEncrypted";
import { efsMountTargetsInClusterSubnets } from "./efsMountTargetsInClusterSubnets";
import { efsNfsFromClusterOnly } from "./efsNfsFromClusterOnly";
import { ec2Imdsv2Required } from "./imdsv2Required";
import { noPublicClusterPorts } from "./noPublicClusterPorts";
import { onlyEdgePublic } from "./onlyEdgePublic";
import { requiredTags } from "./requiredTags";
import { wasServiceResilient } from "./wasServiceResilient";

export const policies: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ec2Imdsv2Required,
  ebsEncrypted,
  noPublicClusterPorts,
  clusterPortsFromClusterOnly,
  onlyEdgePublic,
  requiredTags,
  wasServiceResilient,
  allowedInstanceFamilies,
  ec2AutoRecovery,
  efsEncrypted,
  efsMountTargetsInClusterSubnets,
  efsNfsFromClusterOnly,
];
