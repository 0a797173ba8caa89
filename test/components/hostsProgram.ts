/**
 * swarm-ha on machines you already have, as a consumer writes it (docs/hosts.md): four swarm hosts
 * in three racks, an NFS server and a keepalived pair with a floating IP, all existing machines
 * reached over SSH; no cloud resource at all. Run under the strict mocks by hosts.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { EdgeConfig, NfsExport, SwarmBootstrap, SwarmHost, WasService } from "../../lib";

export const ssh = {
  user: "admin",
  privateKey: pulumi.secret(
    "-----BEGIN OPENSSH PRIVATE KEY-----\nON-PREM\n-----END OPENSSH PRIVATE KEY-----\n",
  ),
};
export const HOSTS: SwarmHost[] = [
  {
    name: "node-a",
    address: "198.18.0.11",
    privateAddress: "10.1.0.11",
    zone: "rack-1",
    role: "manager",
  },
  {
    name: "node-b",
    address: "198.18.0.12",
    privateAddress: "10.1.0.12",
    zone: "rack-2",
    role: "worker",
  },
  {
    name: "node-c",
    address: "198.18.0.13",
    privateAddress: "10.1.0.13",
    zone: "rack-3",
    role: "worker",
  },
  {
    name: "node-d",
    address: "198.18.0.14",
    privateAddress: "10.1.0.14",
    zone: "rack-1",
    role: "worker",
  },
];

const swarm = new SwarmBootstrap("swarm", { hosts: HOSTS, ssh, dispatcherHeartbeatSeconds: 1 });
const logs = new NfsExport("logs", {
  address: "198.18.0.30",
  ssh,
  export: { path: "/srv/nfs/was-logs", clients: ["10.1.0.0/24"] },
  dataMountPoint: "/srv/nfs",
});
const was = new WasService("was", {
  identity: { project: "onprem", stack: "dev" },
  managerAddress: HOSTS[0].address,
  ssh,
  nfs: { server: "10.1.0.30", exportPath: "/srv/nfs/was-logs" },
  dependsOn: [...swarm.membership, logs.ready],
});
const edge = new EdgeConfig("edge", {
  balancers: [
    { address: "198.18.0.40", privateAddress: "10.1.0.40" },
    { address: "198.18.0.41", privateAddress: "10.1.0.41" },
  ],
  ssh,
  upstreamHosts: HOSTS.map((h) => h.privateAddress),
  upstreamPort: 8080,
  pair: { interface: "eth0", floating: { kind: "vip", address: "10.1.0.50/24" } },
  dependsOn: [was],
});

export const nodeIds = swarm.nodeIds;
export const nginxConf = edge.nginxConf;
