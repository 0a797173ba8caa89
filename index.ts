/**
 * swarm-ha: a highly available web tier on Docker Swarm in AWS.
 *
 * config (config/config.ts) → network → swarm managers + workers → log store (an NFS server, or
 * EFS: logStore) → WAS service
 * → nginx balancers over every node that can run a task → optional chaos check.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { ChaosCheck } from "./components/chaosCheck";
import { EdgeTier } from "./components/edge";
import { ubuntuAmi } from "./components/machine";
import { Network } from "./components/network";
import { EfsLogStore } from "./components/efsLogStore";
import { NfsLogServer } from "./components/nfsServer";
import { SwarmCluster, SwarmNode } from "./components/swarmCluster";
import { roleTags, TAG_DEPLOYMENT } from "./base/tags";
import { WasService } from "./components/wasService";
import { loadConfig } from "./config/config";
import { instanceArchitecture } from "./config/schema";

const cfg = loadConfig();
const identity = { project: cfg.project, stack: cfg.stack };

// Unique to this deployment (two `dev` stacks in one account differ): generated at the first
// `pulumi up` and kept in state, so it never changes until the stack is destroyed.
const deployment = new random.RandomId("deployment", { byteLength: 8 });

// One SSH key for every machine: the configured one, or a generated ED25519 pair kept as a secret.
const generated = cfg.sshPrivateKey
  ? undefined
  : new tls.PrivateKey("ssh", { algorithm: "ED25519" });
const privateKey = pulumi.secret(cfg.sshPrivateKey ?? generated!.privateKeyOpenssh);
const publicKey = generated
  ? generated.publicKeyOpenssh
  : tls.getPublicKeyOutput({ privateKeyOpenssh: privateKey }).publicKeyOpenssh;
const keyPair = new aws.ec2.KeyPair("ssh", {
  publicKey,
  tags: roleTags(identity, "swarm", `${cfg.stack}-ssh`),
});
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
// One Ubuntu AMI lookup per architecture the instance types need (Graviton types take arm64's), of
// the configured release.
const amis = new Map<string, pulumi.Output<string>>();
const amiFor = (instanceType: string): pulumi.Output<string> => {
  const arch = instanceArchitecture(instanceType);
  if (!amis.has(arch)) amis.set(arch, ubuntuAmi({}, cfg.ubuntuRelease, arch));
  return amis.get(arch)!;
};

// Every instance (whichever component makes it) carries the deployment tag the chaos guard checks,
// and waits for the internet route; so does every Elastic IP (AWS refuses one without a gateway).
// Applied as a transformation of each component that starts machines, so no component forgets it.
const deployed: pulumi.ResourceTransformation = (t) => {
  const instance = t.type === "aws:ec2/instance:Instance";
  if (!instance && t.type !== "aws:ec2/eip:Eip") return undefined;
  const tags = pulumi
    .all([t.props.tags as pulumi.Input<Record<string, string>> | undefined, deployment.hex])
    .apply(([own, id]) => ({ ...(own ?? {}), [TAG_DEPLOYMENT]: id }));
  // The components pass dependsOn as a plain list (or one resource), never as an output of a list.
  const own = ([] as pulumi.Input<pulumi.Resource>[]).concat(
    (t.opts.dependsOn ?? []) as pulumi.Input<pulumi.Resource>[],
  );
  return {
    props: instance ? { ...t.props, tags } : t.props,
    opts: { ...t.opts, dependsOn: [...own, ...network.internetAccess] },
  };
};
const machines = { transformations: [deployed] };

const cluster = new SwarmCluster(
  "swarm",
  {
    identity,
    ami: amiFor(cfg.workers.instanceType), // the managers share it (config/schema.ts: one swarm architecture)
    managerCount: cfg.managers.count,
    managerInstanceType: cfg.managers.instanceType,
    workerCount: cfg.workers.count,
    workerInstanceType: cfg.workers.instanceType,
    subnetIds: network.clusterSubnetIds,
    subnetZones: network.clusterSubnetZones,
    securityGroupIds: [network.clusterSecurityGroupId],
    ssh,
    dispatcherHeartbeatSeconds: cfg.swarm.dispatcherHeartbeatSeconds,
  },
  machines,
);

// The WAS log store (docs/log-store.md): EFS with a mount target in every cluster subnet, or the
// NFS server in the first zone. The WAS mounts either as an NFS export with the store's options.
const logs =
  cfg.logStore.kind === "efs"
    ? new EfsLogStore("logs", {
        identity,
        vpcId: network.vpcId,
        subnetIds: network.clusterSubnetIds,
        clientSecurityGroupId: network.clusterSecurityGroupId,
      })
    : new NfsLogServer(
        "logs",
        {
          identity,
          ami: amiFor(cfg.nfs.instanceType),
          instanceType: cfg.nfs.instanceType,
          subnetId: network.clusterSubnetIds[0],
          availabilityZone: network.clusterSubnetZones[0],
          securityGroupIds: [network.nfsSecurityGroupId],
          ssh,
          exportPath: cfg.nfs.exportPath,
          allowedCidrs: network.clusterCidrs,
        },
        machines,
      );
const logExport =
  logs instanceof EfsLogStore
    ? { server: logs.dnsName, exportPath: logs.exportPath, store: "efs" as const }
    : { server: logs.privateIp, exportPath: cfg.nfs.exportPath, store: "instance" as const };
const logsReady: pulumi.Resource[] = logs instanceof EfsLogStore ? logs.ready : [logs.ready];

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
  nfs: logExport,
  dependsOn: [...cluster.membership, ...logsReady],
  // CI previews from outside adminCidr (.github/workflows/preview.yml): never dial the manager.
  dockerOffline: pulumi.runtime.isDryRun() && process.env.SWARM_HA_PREVIEW_OFFLINE === "1",
});

// nginx sends traffic to every node that may run a task; nodes without one refuse and are retried.
const schedulable: SwarmNode[] = [
  ...(cfg.managers.runTasks ? cluster.managers : []),
  ...cluster.workers,
];
const edge = new EdgeTier(
  "edge",
  {
    identity,
    ami: amiFor(cfg.edge.instanceType),
    instanceType: cfg.edge.instanceType,
    nodes: cfg.edge.nodes,
    subnetIds: network.edgeSubnetIds,
    securityGroupIds: [network.edgeSecurityGroupId],
    ssh,
    upstreamHosts: schedulable.map((n) => n.privateIp),
    upstreamPort: cfg.was.port,
    dependsOn: [was],
  },
  machines,
);

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
/**
 * The log store: its kind, the export a client mounts, and what `pulumi destroy` leaves in the
 * account (the instance store's EBS volume, or the EFS file system): delete it when the logs go.
 */
export const logStore =
  logs instanceof EfsLogStore
    ? {
        kind: "efs",
        export: logs.exportTarget,
        retained: logs.fileSystemId,
        mountTargetIds: logs.mountTargetIds,
      }
    : {
        kind: "instance",
        export: logs.exportTarget,
        retained: logs.dataVolumeId,
        allowedCidrs: network.clusterCidrs,
      };
export const nfsExport = logs.exportTarget;
// Instance store only (the names predate logStore; kept for the deploy steps that cite them).
export const nfsDataVolumeId = logs instanceof NfsLogServer ? logs.dataVolumeId : undefined;
export const nfsAllowedCidrs = logs instanceof NfsLogServer ? network.clusterCidrs : undefined;
export const serviceName = was.serviceName;
export const replicas = was.replicas;
export const managersRunTasks = cfg.managers.runTasks;
export const sshUser = cfg.ssh.user;
// What the PR preview sets adminCidr to for a deployed stack (.github/workflows/preview.yml), so it
// previews the SSH rules as they are instead of replacing them with the runner's value.
export const adminCidr = cfg.network.adminCidr;
export const sshPrivateKey = privateKey;
export const stackTags = { project: identity.project, stack: identity.stack };
export const vpcId = network.vpcId;
export const deploymentId = deployment.hex;

// The drill reads the same outputs `npm run chaos -- --stack <name>` reads.
const chaos = cfg.chaos.enabled
  ? new ChaosCheck(
      "chaos",
      {
        target: cfg.chaos.target,
        deadlineSeconds: cfg.chaos.deadlineSeconds,
        // The drill is a separate process: hand it the stack's AWS identity (a secret input).
        aws: cfg.drillAws,
        fault: cfg.chaos.fault,
        stackOutputs: pulumi.output({
          url,
          region,
          managerAddress,
          managerAddresses,
          nodes,
          edgeInstanceIds,
          edgeEipAllocationId,
          serviceName,
          replicas,
          managersRunTasks,
          sshUser,
          sshPrivateKey,
          stackTags,
          vpcId,
          deploymentId,
        }),
        triggers: [JSON.stringify(was.spec), ...nodes.map((n) => n.instanceId)],
      },
      { dependsOn: [was, edge] },
    )
  : undefined;
export const chaosReport = chaos?.report;
