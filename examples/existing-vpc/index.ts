/**
 * A second program built from the swarm-ha components: the same web tier, deployed into a VPC and
 * subnets the team already has. Only security groups are created in that VPC; no VPC, subnet,
 * gateway or route. Config (stack file Pulumi.<stack>.yaml): vpcId, availabilityZones,
 * clusterSubnetIds, clusterSubnetCidrs, edgeSubnetIds (optional), adminCidr.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import {
  EdgeTier,
  Network,
  NfsLogServer,
  roleTags,
  schemaDefault,
  SwarmCluster,
  ubuntuAmi,
  WasService,
} from "swarm-ha";

const config = new pulumi.Config();
const identity = { project: pulumi.getProject(), stack: pulumi.getStack() };
const wasPort = schemaDefault<number>("wasPort", "number");
const exportPath = schemaDefault<string>("nfsExportPath", "string");

const network = Network.existing("net", {
  identity,
  vpcId: config.require("vpcId"),
  availabilityZones: config.requireObject<string[]>("availabilityZones"),
  clusterSubnetIds: config.requireObject<string[]>("clusterSubnetIds"),
  clusterSubnetCidrs: config.requireObject<string[]>("clusterSubnetCidrs"),
  edgeSubnetIds: config.getObject<string[]>("edgeSubnetIds"),
  adminCidr: config.require("adminCidr"),
  wasPort,
  edgePair: true,
});

const key = new tls.PrivateKey("ssh", { algorithm: "ED25519" });
const keyPair = new aws.ec2.KeyPair("ssh", {
  publicKey: key.publicKeyOpenssh,
  tags: roleTags(identity, "swarm", "ssh"),
});
const ssh = {
  user: "ubuntu",
  privateKey: pulumi.secret(key.privateKeyOpenssh),
  keyName: keyPair.keyName,
};
const ami = ubuntuAmi({});

const cluster = new SwarmCluster("swarm", {
  identity,
  ami,
  managerCount: 3,
  managerInstanceType: "t3.small",
  workerCount: 2,
  workerInstanceType: "t3.small",
  subnetIds: network.clusterSubnetIds,
  subnetZones: network.clusterSubnetZones,
  securityGroupIds: [network.clusterSecurityGroupId],
  ssh,
  dispatcherHeartbeatSeconds: schemaDefault<number>("dispatcherHeartbeatSeconds", "number"),
});

const logs = new NfsLogServer("logs", {
  identity,
  ami,
  instanceType: "t3.small",
  subnetId: network.clusterSubnetIds[0],
  availabilityZone: network.clusterSubnetZones[0],
  securityGroupIds: [network.nfsSecurityGroupId],
  ssh,
  exportPath,
  allowedCidrs: network.clusterCidrs,
});

const was = new WasService("was", {
  identity,
  managerAddress: cluster.managerAddress,
  ssh,
  port: wasPort,
  nfs: { server: logs.privateIp, exportPath },
  dependsOn: [...cluster.membership, logs.ready],
});

const edge = new EdgeTier("edge", {
  identity,
  ami,
  instanceType: "t3.small",
  nodes: 2,
  subnetIds: network.edgeSubnetIds,
  securityGroupIds: [network.edgeSecurityGroupId],
  ssh,
  upstreamHosts: [...cluster.managers, ...cluster.workers].map((n) => n.privateIp),
  upstreamPort: wasPort,
  dependsOn: [was],
});

export const url = edge.url;
export const vpcId = network.vpcId;
export const securityGroupIds = [
  network.clusterSecurityGroupId,
  network.nfsSecurityGroupId,
  network.edgeSecurityGroupId,
];
export const managerAddress = cluster.managerAddress;
export const serviceName = was.serviceName;
export const sshPrivateKey = ssh.privateKey;
