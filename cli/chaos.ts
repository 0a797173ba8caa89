/**
 * `npm run chaos -- ...`: the composition root of the chaos CLI. It wires the adapters (EC2 + SSH
 * from chaos/aws/aws.ts, the lab's from lab/) into chaos/cli.ts's main(), so chaos/ imports nothing
 * from lab/ and the lab may import chaos/ freely.
 */

import { execFile } from "child_process";
import * as fs from "fs";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  Ec2EdgeObserver,
  edgeNodes,
  Ssh2Runner,
  SshSwarmObserver,
  type StackOutputs,
} from "../chaos/aws/aws";
import { AzLossStopper, createAwsFaultStopper } from "../chaos/aws/awsFaults";
import { EXIT, main, type CliDeps, type DrillSetup, type FaultChoice } from "../chaos/cli";
import { runDrill } from "../chaos/drill/core";
import { HttpLoad } from "../chaos/load/load";
import { labFaultStopper } from "../lab/adapters";
import { createLabDrillAdapters } from "../lab/chaosAdapters";
import { createLabEdgeAdapters } from "../lab/edge";
import { LabZoneKiller } from "../lab/zoneKiller";
import { applyDrillAws } from "./drillAws";

/** What every AWS drill shares: the SSH observer of the managers, an EC2 client, the entry point. */
function awsDrillBase(o: StackOutputs, log: (l: string) => void) {
  const runner = new Ssh2Runner({ username: o.sshUser, privateKey: o.sshPrivateKey });
  const observer = new SshSwarmObserver(
    runner,
    o.managerAddresses.length ? o.managerAddresses : [o.managerAddress],
    o.serviceName,
    { log },
  );
  const ec2 = new EC2Client({ region: o.region });
  return {
    observer,
    ec2,
    runner,
    service: o.serviceName,
    url: o.url,
    allowHosts: [new URL(o.url).hostname],
    managersRunTasks: o.managersRunTasks,
    close: () => {
      observer.close();
      runner.close?.();
      ec2.destroy();
    },
  };
}

function pulumiOutputs(stack: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--show-secrets", "--stack", stack],
      { maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException;
        reject(
          new Error(
            e.code === "ENOENT"
              ? "the pulumi CLI is not installed here; install it, or save the outputs with `pulumi stack output --json --show-secrets > outputs.json` elsewhere and pass --outputs outputs.json"
              : `pulumi stack output failed: ${String(stderr).trim().split("\n").pop() ?? e.message}`,
          ),
        );
      },
    );
  });
}

/** The nodes' current public addresses from EC2 (a stopped and started instance has a new one). */
async function refreshOutputs(o: StackOutputs, log: (l: string) => void): Promise<StackOutputs> {
  const ec2 = new EC2Client({ region: o.region });
  try {
    const out = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: o.nodes.map((n) => n.instanceId) }),
    );
    const ip = new Map<string, string>();
    for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? []))
      if (i.InstanceId && i.PublicIpAddress) ip.set(i.InstanceId, i.PublicIpAddress);
    const nodes = o.nodes.map((n) => ({ ...n, publicIp: ip.get(n.instanceId) ?? n.publicIp }));
    const moved = nodes.filter((n, i) => n.publicIp !== o.nodes[i].publicIp).map((n) => n.name);
    if (moved.length)
      log(
        `current addresses from EC2 for ${moved.join(", ")} (changed since the outputs were written)`,
      );
    const byOldIp = new Map(o.nodes.map((n, i) => [n.publicIp, nodes[i].publicIp]));
    return {
      ...o,
      nodes,
      managerAddress: byOldIp.get(o.managerAddress) ?? o.managerAddress,
      managerAddresses: o.managerAddresses.map((a) => byOldIp.get(a) ?? a),
    };
  } finally {
    ec2.destroy();
  }
}

/** No --fault: the graceful stop (what a caller of the deps without a choice gets). */
const STOP: FaultChoice = { kind: "stop", expireAfterSeconds: 120 };

export const defaultDeps: CliDeps = {
  readText: (file) => fs.readFileSync(file === "-" ? 0 : file, "utf8"),
  refreshOutputs,
  pulumiOutputs,
  awsSetup: (o, log, fault = STOP) => {
    const base = awsDrillBase(o, log);
    // az:<zone>: AzLossStopper (every instance of the zone, balancers included, one forced stop).
    if (fault.zone !== undefined)
      return { ...base, stopper: new AzLossStopper(base.ec2, o, { log }) };
    // stop: Ec2Stopper; kill: Ec2Killer; partition: SgPartitioner (chaos/aws/awsFaults.ts), all tag-guarded.
    return { ...base, stopper: createAwsFaultStopper(fault.kind, base.ec2, o, { log }) };
  },
  labSetup: async (log, fault = STOP): Promise<DrillSetup> => {
    // Refuse an unsupported kind before anything is read or touched.
    const stopper =
      fault.zone !== undefined
        ? new LabZoneKiller(log)
        : labFaultStopper(fault.kind, ["manager", "worker"], fault.expireAfterSeconds);
    const a = await createLabDrillAdapters({ log });
    return {
      observer: a.observer,
      stopper,
      service: a.service,
      url: a.url,
      allowHosts: [],
      ...(a.managersRunTasks !== undefined ? { managersRunTasks: a.managersRunTasks } : {}),
      close: () => a.close?.(),
    };
  },
  awsEdgeSetup: (o, log, fault = STOP) => {
    if (o.edgeInstanceIds.length < 2) {
      throw new Error(
        `the stack runs ${o.edgeInstanceIds.length} balancer(s); the balancer drill needs the pair (config edgeNodes: 2)`,
      );
    }
    const base = awsDrillBase(o, log);
    return {
      ...base,
      // The tag guard checks swarm-ha:role=edge, the deployment tag and the VPC before any stop/start.
      stopper: createAwsFaultStopper(
        fault.kind,
        base.ec2,
        {
          nodes: edgeNodes(o),
          stackTags: o.stackTags,
          vpcId: o.vpcId,
          deploymentId: o.deploymentId,
        },
        { log },
      ),
      // VRRP state over SSH (keepalived up, holder of the marker address) as well as the EIP association.
      edge: new Ec2EdgeObserver(base.ec2, o, { runner: base.runner }),
    };
  },
  labEdgeSetup: async (log, fault = STOP) => {
    const stopper =
      fault.kind === "stop"
        ? undefined
        : labFaultStopper(fault.kind, ["nginx"], fault.expireAfterSeconds);
    const a = await createLabEdgeAdapters({ log });
    return {
      observer: a.observer,
      stopper: stopper ?? a.stopper,
      edge: a.edge,
      service: a.service,
      url: a.url,
      allowHosts: [],
      close: () => a.close?.(),
    };
  },
  makeLoad: (url, connections, allowHosts, maxSeconds) =>
    new HttpLoad({ url, connections, allowHosts, maxDurationSeconds: maxSeconds }),
  runDrill,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

if (require.main === module) {
  // Run by the ChaosCheck: the stack's AWS identity first, before any AWS client is made.
  const cleanup = applyDrillAws();
  main(process.argv.slice(2), defaultDeps).then(
    (code) => {
      cleanup();
      process.exit(code);
    },
    (e) => {
      cleanup();
      process.stderr.write(`chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
