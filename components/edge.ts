import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { renderEdgeUserData } from "../renderers/cloudInit";
import { renderNginxConf } from "../renderers/nginxConf";
import { createMachine } from "./machine";
import { SshAccess, sshConnection } from "./swarmCluster";
import { roleTags, StackIdentity } from "./tags";

export interface EdgeTierArgs {
  readonly identity: StackIdentity;
  readonly ami: pulumi.Input<string>;
  readonly instanceType: string;
  /** Balancers: 1, or 2 for a primary/standby pair. */
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
}

/**
 * The nginx balancer tier. nginx.conf is rendered from the current node set and pushed over SSH,
 * validated with `nginx -t`, then reloaded; the step re-runs whenever the rendered text changes
 * (a node added, replaced or removed), without replacing the balancer.
 */
export class EdgeTier extends pulumi.ComponentResource {
  /** Public entry point (an Elastic IP). */
  readonly publicIp: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly instanceIds: pulumi.Output<string>[];
  /** The nginx.conf every balancer runs. */
  readonly nginxConf: pulumi.Output<string>;

  constructor(name: string, args: EdgeTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:edge:EdgeTier", name, {}, opts);
    const parent = { parent: this };

    this.nginxConf = pulumi.output(args.upstreamHosts).apply((hosts) =>
      renderNginxConf({ upstreams: hosts.map((host) => ({ host, port: args.upstreamPort })) }),
    );

    const instances = [...Array(args.nodes).keys()].map((i) => {
      const instance = createMachine({
        identity: args.identity,
        role: "edge",
        name: `${name}-${i}`,
        ami: args.ami,
        instanceType: args.instanceType,
        subnetId: args.subnetIds[i % args.subnetIds.length],
        securityGroupIds: args.securityGroupIds,
        keyName: args.ssh.keyName,
        userData: renderEdgeUserData({ hostname: `${name}-${i}` }),
      }, parent);
      new command.remote.Command(`${name}-${i}-nginx-conf`, {
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
      }, { ...parent, dependsOn: [instance, ...(args.dependsOn ?? [])] as pulumi.Input<pulumi.Resource>[] });
      return instance;
    });

    const eip = new aws.ec2.Eip(`${name}-eip`, {
      domain: "vpc",
      instance: instances[0].id,
      tags: roleTags(args.identity, "edge", `${name}-eip`),
    }, parent);
    this.publicIp = eip.publicIp;
    this.url = pulumi.interpolate`http://${eip.publicIp}/`;
    this.instanceIds = instances.map((i) => i.id);
    this.registerOutputs({
      publicIp: this.publicIp,
      url: this.url,
      instanceIds: this.instanceIds,
      nginxConf: this.nginxConf,
    });
  }
}
