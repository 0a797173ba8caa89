/**
 * swarm-ha: a highly available web tier on Docker Swarm in AWS.
 *
 * config (stacks/config.ts) → network → swarm managers + workers → NFS log server → WAS service
 * → nginx balancers over every node that can run a task → optional chaos check.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ChaosCheck } from "./components/chaosCheck";
import { EdgeTier } from "./components/edge";
import { ubuntuAmi } from "./components/machine";
import { Network } from "./components/network";
import { NfsLogServer } from "./components/nfsServer";
import { SwarmCluster, SwarmNode } from "./components/swarmCluster";
import { roleTags } from "./base/tags";
import { WasService } from "./components/wasService";
import { loadConfig } from "./stacks/config";

const cfg = loadConfig();
const identity = { project: cfg.project, stack: cfg.stack };

// One SSH key for every machine: the configured one, or a generated ED25519 pair kept as a secret.
const generated = cfg.sshPrivateKey ? undefined : new tls.PrivateKey("ssh", { algorithm: "ED25519" });
const privateKey = pulumi.secret(cfg.sshPrivateKey ?? generated!.privateKeyOpenssh);
const publicKey = generated
  ? generated.publicKeyOpenssh
  : tls.getPublicKeyOutput({ privateKeyOpenssh: privateKey }).publicKeyOpenssh;
const keyPair = new aws.ec2.KeyPair("ssh", { publicKey, tags: roleTags(identity, "swarm", `${cfg.stack}-ssh`) });
const ssh = { user: cfg.ssh.user, privateKey, keyName: keyPair.keyName };

const network = new Network("net", {
  identity,
  vpcCidr: cfg.network.vpcCidr,
  availabilityZones: cfg.network.availabilityZones,
  adminCidr: cfg.network.adminCidr,
  wasPort: cfg.was.port,
  encryptOverlay: cfg.network.encryptOverlay,
  edgePair: cfg.edge.nodes === 2,
});
const ami = ubuntuAmi({});

const cluster = new SwarmCluster("swarm", {
  identity,
  ami,
  managerCount: cfg.managers.count,
  managerInstanceType: cfg.managers.instanceType,
  workerCount: cfg.workers.count,
  workerInstanceType: cfg.workers.instanceType,
  subnetIds: network.clusterSubnetIds,
  securityGroupIds: [network.clusterSecurityGroupId],
  ssh,
  dispatcherHeartbeatSeconds: cfg.swarm.dispatcherHeartbeatSeconds,
});

const logs = new NfsLogServer("logs", {
  identity,
  ami,
  instanceType: cfg.nfs.instanceType,
  subnetId: network.clusterSubnetIds[0],
  securityGroupIds: [network.nfsSecurityGroupId],
  ssh,
  exportPath: cfg.nfs.exportPath,
  allowedCidrs: network.clusterCidrs,
});

const was = new WasService("was", {
  identity,
  managerAddress: cluster.managerAddress,
  ssh,
  image: cfg.was.image,
  sampleBaseImage: cfg.was.sampleBaseImage,
  replicas: cfg.was.replicas,
  port: cfg.was.port,
  healthPath: cfg.was.healthPath,
  env: cfg.was.env,
  restartDelaySeconds: cfg.swarm.taskRestartDelaySeconds,
  managersRunTasks: cfg.managers.runTasks,
  encryptOverlay: cfg.network.encryptOverlay,
  nfs: { server: logs.privateIp, exportPath: cfg.nfs.exportPath },
  dependsOn: [...cluster.membership, logs.ready],
});

// nginx sends traffic to every node that may run a task; nodes without one refuse and are retried.
const schedulable: SwarmNode[] = [...(cfg.managers.runTasks ? cluster.managers : []), ...cluster.workers];
const edge = new EdgeTier("edge", {
  identity,
  ami,
  instanceType: cfg.edge.instanceType,
  nodes: cfg.edge.nodes,
  subnetIds: network.edgeSubnetIds,
  securityGroupIds: [network.edgeSecurityGroupId],
  ssh,
  upstreamHosts: schedulable.map((n) => n.privateIp),
  upstreamPort: cfg.was.port,
  dependsOn: [was],
});

const nodeOutputs = (nodes: SwarmNode[]) =>
  nodes.map((n) => ({
    name: n.name,
    role: n.role,
    instanceId: n.instanceId,
    privateIp: n.privateIp,
    publicIp: n.publicIp,
    swarmNodeId: n.swarmNodeId,
  }));

export const url = edge.url;
export const region = cfg.region;
export const managerAddress = cluster.managerAddress;
export const managerAddresses = cluster.managers.map((m) => m.publicIp);
export const nodes = [...nodeOutputs(cluster.managers), ...nodeOutputs(cluster.workers)];
export const edgeInstanceIds = edge.instanceIds;
export const edgeEipAllocationId = edge.eipAllocationId;
export const nfsExport = logs.exportTarget;
export const nfsAllowedCidrs = network.clusterCidrs;
export const serviceName = was.serviceName;
export const replicas = was.replicas;
export const managersRunTasks = cfg.managers.runTasks;
export const sshUser = cfg.ssh.user;
export const sshPrivateKey = privateKey;
export const stackTags = { project: identity.project, stack: identity.stack };

// The drill reads the same outputs `npm run chaos -- --stack <name>` reads.
const chaos = cfg.chaos.enabled
  ? new ChaosCheck("chaos", {
      target: cfg.chaos.target,
      deadlineSeconds: cfg.chaos.deadlineSeconds,
      stackOutputs: pulumi.output({
        url, region, managerAddress, managerAddresses, nodes, edgeInstanceIds, serviceName, replicas,
        managersRunTasks, sshUser, sshPrivateKey, stackTags,
      }),
      triggers: [JSON.stringify(was.spec), ...nodes.map((n) => n.instanceId)],
    }, { dependsOn: [was, edge] })
  : undefined;
export const chaosReport = chaos?.report;
