import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderEdgeUserData } from "../renderers/cloudInit";
import {
  KEEPALIVED_PATHS,
  renderEdgePairUserData,
  renderKeepalivedConf,
  renderNotifyScript,
} from "../renderers/keepalived";
import { renderNginxConf } from "../renderers/nginxConf";
import { createMachine } from "./machine";
import { SshAccess, sshConnection } from "./swarmCluster";
import { roleTags, StackIdentity } from "../base/tags";

export interface EdgeTierArgs {
  readonly identity: StackIdentity;
  readonly ami: pulumi.Input<string>;
  readonly instanceType: string;
  /** Balancers: 1, or 2 for a primary/standby pair (keepalived, Elastic IP moved on takeover). */
  readonly nodes: 1 | 2;
  /** Subnets to place balancers in, one per node (two AZs for a pair). */
  readonly subnetIds: pulumi.Input<string>[];
  readonly securityGroupIds: pulumi.Input<string>[];
  readonly ssh: SshAccess;
  /** Private addresses of every node that may run a WAS task. */
  readonly upstreamHosts: pulumi.Input<pulumi.Input<string>[]>;
  /** Port the WAS tasks publish on each node. */
  readonly upstreamPort: number;
  /** Resources to wait for before pushing the config (e.g. the WAS service). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Interface VRRP adverts leave from on a pair. Default ens5: Ubuntu's name for the ENA interface
   * of Nitro instances (every current type). `keepalived -t` on the instance rejects a wrong name,
   * so a mismatch stops `pulumi up` at the config push, before keepalived is (re)started.
   */
  readonly pairInterface?: string;
}

/**
 * The IAM policy of a balancer pair: each balancer may move exactly one Elastic IP, and only onto
 * the pair's own instances. AssociateAddress is authorised against the address and against the
 * instance named in the request (the network interface only when one is named, which the notify
 * script never does), so both are scoped. DescribeAddresses supports no resource-level permissions
 * (EC2 Describe* actions accept only "*"); it reveals addresses, not control over them.
 */
export function eipTakeoverPolicy(eipArn: string, instanceArns: readonly string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "MoveThePairEip",
        Effect: "Allow",
        Action: "ec2:AssociateAddress",
        Resource: [eipArn, ...instanceArns],
      },
      {
        Sid: "SeeWhoHoldsIt",
        Effect: "Allow",
        Action: "ec2:DescribeAddresses",
        Resource: "*",
      },
    ],
  });
}

/**
 * The nginx balancer tier. nginx.conf is rendered from the current node set and pushed over SSH,
 * validated with `nginx -t`, then reloaded; the step re-runs whenever the rendered text changes
 * (a node added, replaced or removed), without replacing the balancer.
 *
 * With `nodes: 2` the balancers are a keepalived pair in two AZs behind one Elastic IP. An Elastic
 * IP rather than a network load balancer: no extra hop or per-hour and per-LCU charge, the client
 * keeps talking to nginx directly (source addresses intact), and VRRP takeover was measured in the
 * lab at under a second (see README "Balancer pair"). The trade-off: EC2 takes a few seconds to
 * re-point the address after associate-address, so a takeover on AWS costs those seconds of
 * refused connections, where an NLB would mark a target unhealthy after its health-check interval.
 */
export class EdgeTier extends pulumi.ComponentResource {
  /** Public entry point (an Elastic IP). */
  readonly publicIp: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly instanceIds: pulumi.Output<string>[];
  /** The nginx.conf every balancer runs. */
  readonly nginxConf: pulumi.Output<string>;
  /** Allocation id of the Elastic IP (what a pair's notify script moves). */
  readonly eipAllocationId: pulumi.Output<string>;
  /**
   * Instance the Elastic IP was on at the last update or refresh. On a pair keepalived moves it
   * afterwards: `pulumi refresh` (or describe-addresses) tells where it is now.
   */
  readonly activeInstanceId: pulumi.Output<string>;
  /** keepalived.conf per balancer of a pair, in node order; empty for a single balancer. */
  readonly keepalivedConfs: pulumi.Output<string>[];
  /** Role of a pair's balancers (may move only the pair's Elastic IP); undefined for one balancer. */
  readonly instanceRoleArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: EdgeTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:edge:EdgeTier", name, {}, opts);
    const parent = { parent: this };
    const pair = args.nodes === 2;
    if (args.nodes !== 1 && args.nodes !== 2) {
      throw new pulumi.InputPropertyError({ propertyPath: "edge.nodes", reason: `must be 1 or 2 (got ${args.nodes})` });
    }
    if (pair && args.subnetIds.length < 2) {
      throw new pulumi.InputPropertyError({
        propertyPath: "edge.nodes",
        reason: "a balancer pair needs two subnets in two availability zones: set availabilityZones to 2 or more",
      });
    }
    const tags = (suffix: string) => roleTags(args.identity, "edge", `${name}-${suffix}`);

    this.nginxConf = pulumi.output(args.upstreamHosts).apply((hosts) =>
      renderNginxConf({ upstreams: hosts.map((host) => ({ host, port: args.upstreamPort })) }),
    );

    // The role exists before the instances (the profile is fixed at launch); its policy names the
    // instances and the address, so it is attached once they exist.
    const role = pair
      ? new aws.iam.Role(`${name}-role`, {
          description: "swarm-ha balancer pair: moves the pair's Elastic IP to the VRRP master",
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
          }),
          tags: tags("role"),
        }, parent)
      : undefined;
    // An IAM role's and an instance profile's id is their name, which is what the profile and the
    // instance take; the id also carries the dependency (an auto-named `name` is provider-computed).
    const profile = role
      ? new aws.iam.InstanceProfile(`${name}-profile`, { role: role.id, tags: tags("profile") }, parent)
      : undefined;

    const nginxPushes: command.remote.Command[] = [];
    const instances = [...Array(args.nodes).keys()].map((i) => {
      const hostname = `${name}-${i}`;
      const instance = createMachine({
        identity: args.identity,
        role: "edge",
        name: hostname,
        ami: args.ami,
        instanceType: args.instanceType,
        subnetId: args.subnetIds[i % args.subnetIds.length],
        securityGroupIds: args.securityGroupIds,
        keyName: args.ssh.keyName,
        userData: pair ? renderEdgePairUserData({ hostname }) : renderEdgeUserData({ hostname }),
        iamInstanceProfile: profile?.id,
      }, parent);
      nginxPushes.push(new command.remote.Command(`${name}-${i}-nginx-conf`, {
        connection: sshConnection(instance, args.ssh),
        // Waits for cloud-init's nginx, installs the file only if nginx -t accepts it, then reloads.
        create: [
          "set -eu",
          "cloud-init status --wait >/dev/null 2>&1 || true",
          "tmp=$(mktemp)",
          "cat > \"$tmp\"",
          "sudo nginx -t -q -c \"$tmp\"",
          "sudo install -m 0644 \"$tmp\" /etc/nginx/nginx.conf",
          "rm -f \"$tmp\"",
          "sudo systemctl reload nginx",
        ].join("\n"),
        stdin: this.nginxConf,
        triggers: [this.nginxConf, instance.id],
      }, { ...parent, dependsOn: [instance, ...(args.dependsOn ?? [])] as pulumi.Input<pulumi.Resource>[] }));
      return instance;
    });

    const eip = new aws.ec2.Eip(`${name}-eip`, {
      domain: "vpc",
      instance: instances[0].id,
      tags: tags("eip"),
      // On a pair Pulumi only places the address at creation: afterwards keepalived's notify script
      // owns the association, and a refresh followed by an update must not move it back to node 0.
    }, pair ? { ...parent, ignoreChanges: ["instance", "networkInterface", "associateWithPrivateIp"] } : parent);

    this.keepalivedConfs = [];
    if (pair && role) {
      const partition = aws.getPartitionOutput({}, parent).partition;
      const region = aws.getRegionOutput({}, parent).region;
      const account = aws.getCallerIdentityOutput({}, parent).accountId;
      const eipArn = pulumi.interpolate`arn:${partition}:ec2:${region}:${account}:elastic-ip/${eip.allocationId}`;
      const policy = new aws.iam.RolePolicy(`${name}-eip-policy`, {
        role: role.id,
        policy: pulumi.all([eipArn, ...instances.map((x) => x.arn)]).apply(([e, ...arns]) => eipTakeoverPolicy(e, arns)),
      }, parent);

      const notifyScript = eip.allocationId.apply((allocationId) => renderNotifyScript({ eip: { allocationId } }));
      let previous: pulumi.Resource | undefined;
      instances.forEach((instance, i) => {
        const peer = instances[1 - i];
        const conf = pulumi.all([instance.privateIp, peer.privateIp]).apply(([selfIp, peerIp]) =>
          renderKeepalivedConf({
            nodeName: `${name}-${i}`,
            role: i === 0 ? "primary" : "standby",
            interface: args.pairInterface ?? "ens5",
            selfIp,
            peerIp,
            floating: { kind: "eip" },
          }),
        );
        this.keepalivedConfs.push(conf);
        const connection = sshConnection(instance, args.ssh);
        const notify = new command.remote.Command(`${name}-${i}-keepalived-notify`, {
          connection,
          // Root-owned, not writable by others: enable_script_security refuses anything else. Then a
          // DryRun association proves the instance role may move the address before it is needed.
          create: [
            "set -eu",
            "cloud-init status --wait >/dev/null 2>&1 || true",
            "tmp=$(mktemp)",
            "cat > \"$tmp\"",
            "sh -n \"$tmp\"",
            "sudo install -d -m 0755 -o root -g root /etc/keepalived",
            `sudo install -m 0755 -o root -g root "$tmp" ${KEEPALIVED_PATHS.notifyScript}`,
            "rm -f \"$tmp\"",
            `sudo ${KEEPALIVED_PATHS.notifyScript} check`,
          ].join("\n"),
          stdin: notifyScript,
          triggers: [notifyScript, instance.id],
        }, { ...parent, dependsOn: [instance, policy] });
        const push = new command.remote.Command(`${name}-${i}-keepalived-conf`, {
          connection,
          // Installs the file only if keepalived -t accepts it on this host (interface included).
          // A running keepalived is reloaded, not restarted: a restart of the MASTER would hand the
          // address over (and move the EIP) for a config change that may not need it.
          create: [
            "set -eu",
            "tmp=$(mktemp)",
            "cat > \"$tmp\"",
            "sudo keepalived -t -f \"$tmp\"",
            `sudo install -m 0644 -o root -g root "$tmp" ${KEEPALIVED_PATHS.conf}`,
            "rm -f \"$tmp\"",
            "sudo systemctl daemon-reload",
            "sudo systemctl enable keepalived",
            "if sudo systemctl is-active --quiet keepalived; then sudo systemctl reload keepalived; else sudo systemctl start keepalived; fi",
          ].join("\n"),
          stdin: conf,
          triggers: [conf, notifyScript, instance.id],
        }, {
          ...parent,
          // Node 0 starts keepalived first and so wins the first election, where the EIP already is.
          dependsOn: [notify, nginxPushes[i], ...(previous ? [previous] : [])],
        });
        previous = push;
      });
    }

    this.publicIp = eip.publicIp;
    this.url = pulumi.interpolate`http://${eip.publicIp}/`;
    this.instanceIds = instances.map((i) => i.id);
    this.eipAllocationId = eip.allocationId;
    this.activeInstanceId = eip.instance;
    this.instanceRoleArn = role?.arn;
    this.registerOutputs({
      publicIp: this.publicIp,
      url: this.url,
      instanceIds: this.instanceIds,
      nginxConf: this.nginxConf,
      eipAllocationId: this.eipAllocationId,
      activeInstanceId: this.activeInstanceId,
      keepalivedConfs: this.keepalivedConfs,
      instanceRoleArn: this.instanceRoleArn,
    });
  }
}
