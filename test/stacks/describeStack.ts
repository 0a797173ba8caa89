/**
 * Assertions over the whole resource graph of one stack, run under mocks. Each stack has its own
 * test file (dev.test.ts, prod.test.ts) because the program module is evaluated once per file.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { planSubnets } from "../../components/networkPlan";
import { SWARM_PORTS } from "../../components/network";
import { SSH_DIAL } from "../../components/ssh";
import { swarmNodeZone } from "../../config/topology";
import { TAG_DEPLOYMENT } from "../../base/tags";
import { parseConfig, SwarmHaConfig } from "../../config/schema";
import * as fs from "fs";
import * as os from "os";
import { MockedStack, Registration, runProgram, stackConfig } from "../mocks";
import { assertValid, cloudInitSchema, shellcheck } from "../validators";
import { dataVolumeProblems, MOUNT_SCRIPT } from "./dataVolume";
import { parse } from "yaml";
import { NFS_MOUNT_OPTIONS } from "../../renderers/serviceSpec";

export const ADMIN_CIDR = "192.0.2.10/32";
const INSTANCE = "aws:ec2/instance:Instance";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const REMOTE = "command:remote:Command";
const EFS = "aws:efs/fileSystem:FileSystem";
const MOUNT_TARGET = "aws:efs/mountTarget:MountTarget";

const role = (r: Registration) => r.inputs.tags?.["swarm-ha:role"];

export function describeStack(stack: "dev" | "prod"): void {
  describe(`stack ${stack} under mocks`, () => {
    let s: MockedStack;
    let cfg: SwarmHaConfig;
    const instances = (r: string) => s.byType(INSTANCE).filter((i) => role(i) === r);
    // Which log store the stack file asks for (known before the program runs): the NFS-instance
    // tests run for an instance store, the EFS ones (test/stacks/efsLogStore.ts) for EFS.
    const store = parseConfig({ ...stackConfig(stack), adminCidr: ADMIN_CIDR }).logStore.kind;
    const onInstance = it.runIf(store === "instance");
    const onEfs = it.runIf(store === "efs");

    beforeAll(async () => {
      cfg = parseConfig({ ...stackConfig(stack), adminCidr: ADMIN_CIDR });
      s = await runProgram(stack, { adminCidr: ADMIN_CIDR });
    }, 60_000);

    it("creates the configured number of machines per role", () => {
      expect(instances("manager")).toHaveLength(cfg.managers.count);
      expect(instances("worker")).toHaveLength(cfg.workers.count);
      const nfs = store === "instance" ? 1 : 0;
      expect(instances("nfs")).toHaveLength(nfs);
      expect(instances("edge")).toHaveLength(cfg.edge.nodes);
      expect(s.byType(INSTANCE)).toHaveLength(
        cfg.managers.count + cfg.workers.count + nfs + cfg.edge.nodes,
      );
    });

    it("requires IMDSv2 and encrypts the root volume of every instance", () => {
      for (const i of s.byType(INSTANCE)) {
        expect(i.inputs.metadataOptions, i.name).toMatchObject({
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
        });
        expect(i.inputs.rootBlockDevice?.encrypted, i.name).toBe(true);
        expect(i.inputs.userDataReplaceOnChange, i.name).toBe(true);
        expect(i.inputs.ami).toBe("ami-0123456789abcdef0");
      }
    });

    it("spreads managers over distinct availability zones when there are several", () => {
      const subnets = new Set(instances("manager").map((m) => m.inputs.subnetId));
      expect(subnets.size).toBe(Math.min(cfg.managers.count, cfg.network.availabilityZones));
    });

    it("opens nothing publicly but 80/443 on the balancers and SSH from the admin CIDR", () => {
      const rules = s.byType(INGRESS);
      expect(rules.length).toBeGreaterThan(0);
      for (const r of rules.filter((x) => x.inputs.cidrIpv4 !== undefined)) {
        const edgeHttp =
          r.inputs.securityGroupId === s.one("net-edge").id &&
          [80, 443].includes(r.inputs.fromPort);
        const ssh =
          r.inputs.fromPort === 22 && r.inputs.toPort === 22 && r.inputs.cidrIpv4 === ADMIN_CIDR;
        expect(edgeHttp || ssh, `${r.name}: ${r.inputs.cidrIpv4} ${r.inputs.fromPort}`).toBe(true);
        if (edgeHttp) expect(r.inputs.fromPort).toBe(r.inputs.toPort);
      }
      const publicRules = rules
        .filter((x) => x.inputs.cidrIpv4 === "0.0.0.0/0")
        .map((x) => x.inputs.fromPort);
      expect(publicRules.sort()).toEqual([80]);
    });

    it("keeps swarm ports between cluster members and NFS to the cluster", () => {
      const rules = s.byType(INGRESS);
      for (const p of SWARM_PORTS) {
        const r = rules.filter(
          (x) => x.inputs.fromPort === p.port && x.inputs.ipProtocol === p.protocol,
        );
        expect(r, `${p.port}/${p.protocol}`).toHaveLength(1);
        expect(r[0].inputs).toMatchObject({
          securityGroupId: s.one("net-cluster").id,
          referencedSecurityGroupId: s.one("net-cluster").id,
        });
        expect(r[0].inputs.cidrIpv4).toBeUndefined();
      }
      // NFS: the network's log-server group, and with EFS the mount targets' own group; both from the cluster.
      const nfs = rules.filter((x) => x.inputs.fromPort === 2049);
      const groups = ["net-nfs", ...(store === "efs" ? ["logs-efs"] : [])].map((g) => s.one(g).id);
      expect(nfs.map((r) => r.inputs.securityGroupId).sort()).toEqual(groups.sort());
      for (const r of nfs)
        expect(r.inputs).toMatchObject({
          toPort: 2049,
          ipProtocol: "tcp",
          referencedSecurityGroupId: s.one("net-cluster").id,
        });
      const esp = rules.filter((x) => x.inputs.ipProtocol === "50");
      expect(esp).toHaveLength(cfg.network.encryptOverlay ? 1 : 0);
    });

    it("initialises the swarm once, then joins every other node with a secret token", () => {
      const cmds = s.byType(REMOTE);
      const init = s.one("swarm-swarm-init");
      expect(init.inputs.create).toContain("$DOCKER swarm init");
      expect(cmds.filter((c) => String(c.inputs.create).includes("swarm init"))).toHaveLength(1);
      const joins = cmds.filter((c) => c.name.startsWith("swarm-join-"));
      expect(joins).toHaveLength(cfg.managers.count - 1 + cfg.workers.count);
      for (const j of joins) {
        const tokenName = j.name.includes("-manager-")
          ? "swarm-manager-token"
          : "swarm-worker-token";
        const token = s.one(tokenName);
        expect(token.additionalSecretOutputs).toContain("stdout");
        expect(token.seq).toBeGreaterThan(init.seq);
        expect(j.seq, j.name).toBeGreaterThan(token.seq);
        expect(j.dependsOn, j.name).toContain(tokenName);
        expect(j.secretInputs, j.name).toContain("stdin");
        expect(j.inputs.stdin).toBe(token.state.stdout);
        expect(String(j.inputs.create)).not.toContain(String(token.state.stdout).trim());
        expect(String(j.inputs.create)).toContain('$DOCKER swarm join --token "$token"');
      }
      // Managers join one after another: each later manager waits for the previous join.
      const managerJoins = joins.filter((j) => j.name.includes("-manager-"));
      for (let i = 1; i < managerJoins.length; i++) {
        expect(managerJoins[i].dependsOn).toContain(managerJoins[i - 1].name);
      }
    });

    it("lists exactly the nodes that may run a task in the nginx upstream", () => {
      const nodes = [
        ...(cfg.managers.runTasks ? instances("manager") : []),
        ...instances("worker"),
      ];
      const expected = nodes.map((n) => `${n.state.privateIp}:${cfg.was.port}`).sort();
      const pushes = s.byType(REMOTE).filter((c) => /^edge-\d+-nginx-conf$/.test(c.name));
      expect(pushes).toHaveLength(cfg.edge.nodes);
      for (const p of pushes) {
        const lines = [...String(p.inputs.stdin).matchAll(/^\s*server (\S+) (.*);$/gm)];
        // Every node twice: as a primary with passive checks and as a backup never marked failed.
        const primaries = lines
          .filter((m) => !/ backup$/.test(m[2]))
          .map((m) => m[1])
          .sort();
        const backups = lines
          .filter((m) => / backup$/.test(m[2]))
          .map((m) => m[1])
          .sort();
        expect(primaries).toEqual(expected);
        expect(backups).toEqual(expected);
        expect(p.inputs.stdin).toContain("least_conn;");
        expect(p.inputs.create).toContain("nginx -t");
      }
    });

    onInstance("exports the log directory to the cluster subnets only", () => {
      const nfs = instances("nfs")[0];
      const exportsLine = String(nfs.inputs.userData)
        .split("\n")
        .find((l) => l.includes(cfg.nfs.exportPath + " "));
      expect(exportsLine).toBeDefined();
      const clients = [...exportsLine!.matchAll(/(\d+\.\d+\.\d+\.\d+\/\d+)\(/g)].map((m) => m[1]);
      expect(clients).toEqual(
        planSubnets(cfg.network.vpcCidr, cfg.network.availabilityZones).cluster,
      );
      expect(s.outputs.nfsAllowedCidrs).toEqual(clients);
    });

    onInstance(
      "keeps the NFS logs on a retained, encrypted volume in the server's zone, mounted before the export",
      () => {
        expect(dataVolumeProblems(s.resources, cfg.nfs.exportPath)).toEqual([]);
        expect(s.one("logs-ready").dependsOn).toContain("logs-server-data-attach");
        expect(s.outputs.nfsDataVolumeId).toBe(s.byType("aws:ebs/volume:Volume")[0].id);
      },
    );

    onInstance(
      "the data-volume check fails on a volume in another zone and on user data without the mount",
      () => {
        const swap = (type: string, change: (r: Registration) => Registration) =>
          s.resources.map((r) => (r.type === type ? change(r) : r));
        const otherZone = swap("aws:ebs/volume:Volume", (v) => ({
          ...v,
          inputs: { ...v.inputs, availabilityZone: "eu-west-1b" },
        }));
        expect(dataVolumeProblems(otherZone, cfg.nfs.exportPath)).toEqual([
          "volume in eu-west-1b, server subnet in eu-west-1a",
        ]);
        const noMount = swap(INSTANCE, (i) =>
          role(i) === "nfs"
            ? {
                ...i,
                inputs: {
                  ...i.inputs,
                  userData: String(i.inputs.userData).replace(MOUNT_SCRIPT, "/bin/true"),
                },
              }
            : i,
        );
        expect(dataVolumeProblems(noMount, cfg.nfs.exportPath)).toEqual([
          `the NFS user data writes no ${MOUNT_SCRIPT}`,
        ]);
        const dropped = swap("aws:ebs/volume:Volume", (v) => ({ ...v, retainOnDelete: false }));
        expect(dataVolumeProblems(dropped, cfg.nfs.exportPath)).toHaveLength(1);
      },
    );

    onInstance(
      "the NFS server's user data as registered passes cloud-init schema and its mount script shellcheck",
      (ctx) => {
        const userData = String(instances("nfs")[0].inputs.userData);
        assertValid("NFS user data", cloudInitSchema(ctx, userData));
        const doc = parse(userData) as { write_files: Array<{ path: string; content: string }> };
        assertValid(
          "data volume script",
          shellcheck(ctx, doc.write_files.find((f) => f.path === MOUNT_SCRIPT)!.content),
        );
      },
    );

    onEfs(
      "keeps the logs on one encrypted, Regional EFS file system, retained by destroy, and no NFS instance",
      () => {
        const fileSystems = s.byType(EFS);
        expect(fileSystems).toHaveLength(1);
        expect(fileSystems[0].inputs.encrypted).toBe(true);
        // availabilityZoneName would make it One Zone: a zone dependency again.
        expect(fileSystems[0].inputs.availabilityZoneName).toBeUndefined();
        expect(fileSystems[0].retainOnDelete).toBe(true);
        expect(fileSystems[0].inputs.tags).toMatchObject({
          "swarm-ha:role": "nfs",
          "swarm-ha:stack": stack,
        });
        expect(instances("nfs")).toEqual([]);
        expect(s.byType("aws:ebs/volume:Volume")).toEqual([]);
      },
    );

    onEfs(
      "puts one mount target in every cluster subnet and none elsewhere, each behind the log store's own group",
      () => {
        const subnets = s.byType("aws:ec2/subnet:Subnet");
        const clusterSubnets = subnets
          .filter((n) => /^net-cluster-\d$/.test(n.name))
          .map((n) => n.id);
        expect(clusterSubnets).toHaveLength(cfg.network.availabilityZones);
        const targets = s.byType(MOUNT_TARGET);
        expect(targets.map((t) => t.inputs.subnetId).sort()).toEqual([...clusterSubnets].sort());
        for (const t of targets) {
          expect(t.inputs.fileSystemId, t.name).toBe(s.byType(EFS)[0].id);
          expect(t.inputs.securityGroups, t.name).toEqual([s.one("logs-efs").id]);
        }
      },
    );

    onEfs(
      "the log store's group admits NFS (TCP 2049) from the cluster's group only, and sends nothing",
      () => {
        const group = s.one("logs-efs");
        expect(group.inputs.vpcId).toBe(s.one("net-vpc").id);
        expect(group.inputs.ingress ?? []).toEqual([]);
        expect(group.inputs.egress ?? []).toEqual([]);
        const rules = s.byType(INGRESS).filter((r) => r.inputs.securityGroupId === group.id);
        expect(rules.map((r) => r.inputs)).toEqual([
          expect.objectContaining({
            ipProtocol: "tcp",
            fromPort: 2049,
            toPort: 2049,
            referencedSecurityGroupId: s.one("net-cluster").id,
          }),
        ]);
        expect(rules[0].inputs.cidrIpv4).toBeUndefined();
        expect(
          s
            .byType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            .filter((r) => r.inputs.securityGroupId === group.id),
        ).toEqual([]);
      },
    );

    it("runs the WAS service with the configured replicas, NFS log mount and rollback", () => {
      const [svc] = s.byType("docker:index/service:Service");
      expect(svc).toBeDefined();
      expect(svc.inputs.mode.replicated.replicas).toBe(cfg.was.replicas);
      const [mount] = svc.inputs.taskSpec.containerSpec.mounts;
      // The instance store by its address, EFS by its DNS name (each node resolves its own zone's target).
      const server =
        store === "instance" ? instances("nfs")[0].state.privateIp : s.byType(EFS)[0].state.dnsName;
      const device = store === "instance" ? `:${cfg.nfs.exportPath}` : ":/";
      expect(mount).toMatchObject({ type: "volume", target: "/var/log/was" });
      expect(mount.volumeOptions.driverOptions).toMatchObject({ type: "nfs", device });
      expect(mount.volumeOptions.driverOptions.o).toBe(
        `addr=${server},${NFS_MOUNT_OPTIONS[store]}`,
      );
      expect(svc.inputs.taskSpec.containerSpec.healthcheck.tests.join(" ")).toContain(
        cfg.was.healthPath,
      );
      expect(svc.inputs.updateConfig.failureAction).toBe("rollback");
      expect(svc.inputs.taskSpec.placement.maxReplicas).toBe(1);
      // Replicas spread over the zone label every node carries (renderNodeLabels after the joins).
      expect(svc.inputs.taskSpec.placement.prefs).toEqual(["node.labels.swarm-ha.zone"]);
      expect(svc.inputs.endpointSpec.ports[0]).toMatchObject({
        publishMode: "host",
        publishedPort: cfg.was.port,
      });
      // The service waits for every join and for the NFS export.
      const joins = s
        .byType(REMOTE)
        .filter((c) => c.name.startsWith("swarm-join-"))
        .map((c) => c.name);
      const logsReady =
        store === "instance" ? ["logs-ready"] : s.byType(MOUNT_TARGET).map((m) => m.name);
      expect(logsReady.length).toBeGreaterThan(0);
      expect(svc.dependsOn).toEqual(
        expect.arrayContaining([...joins, "swarm-swarm-init", ...logsReady]),
      );
    });

    it("labels every swarm node with its instance's availability zone after the prune, from the first manager", () => {
      const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"].slice(
        0,
        cfg.network.availabilityZones,
      );
      const [labels] = s.byType(REMOTE).filter((c) => c.name === "swarm-zone-labels");
      expect(labels).toBeDefined();
      expect(labels.dependsOn).toContain("swarm-prune");
      expect(labels.inputs.connection.host).toBe(
        instances("manager").find((i) => i.name === "swarm-manager-0")!.state.publicIp,
      );
      const script = String(labels.inputs.create);
      for (const [role, count] of [
        ["manager", cfg.managers.count],
        ["worker", cfg.workers.count],
      ] as const) {
        for (let i = 0; i < count; i++) {
          const joined =
            role === "manager" && i === 0 ? "swarm-swarm-init" : `swarm-join-swarm-${role}-${i}`;
          expect(script).toContain(
            `swarm-ha.zone=${zones[swarmNodeZone(role, i, zones.length)]} node-${joined}`,
          );
        }
      }
      expect(script.match(/--label-add/g)).toHaveLength(cfg.managers.count + cfg.workers.count);
    });

    it("exports what an operator needs, with the SSH key as a secret", async () => {
      expect(s.outputs.url).toBe("http://203.0.113.10/");
      expect(s.outputs.nodes).toHaveLength(cfg.managers.count + cfg.workers.count);
      expect(String(s.outputs.sshPrivateKey)).toContain("PRIVATE KEY");
      const program = await import("../../index");
      expect(await (program.sshPrivateKey as any).isSecret).toBe(true);
      const exported =
        store === "instance"
          ? `${instances("nfs")[0].state.privateIp}:${cfg.nfs.exportPath}`
          : `${s.byType(EFS)[0].state.dnsName}:/`;
      expect(s.outputs.nfsExport).toBe(exported);
      expect(s.outputs.logStore).toMatchObject({ kind: store, export: exported });
      const retained =
        store === "instance" ? s.byType("aws:ebs/volume:Volume")[0].id : s.byType(EFS)[0].id;
      expect((s.outputs.logStore as { retained: string }).retained).toBe(retained);
    });

    it("runs the chaos drill after the service and balancers only when enabled", () => {
      const drills = s
        .byType("command:local:Command")
        .filter((c) => String(c.inputs.create).includes("cli/chaos.ts"));
      if (!cfg.chaos.enabled) {
        expect(drills).toEqual([]);
        expect(s.outputs.chaosReport).toBeUndefined();
        return;
      }
      expect(drills).toHaveLength(1);
      const [drill] = drills;
      expect(drill.inputs.create).toContain(
        `--target ${cfg.chaos.target} --fault ${cfg.chaos.fault} --deadline ${cfg.chaos.deadlineSeconds}`,
      );
      expect(drill.secretInputs).toContain("stdin");
      // A refresh (or a drill) changes public IPs: they are on neither stdin nor the triggers, and
      // stdin is not ignored (the engine would restore an old node list on a replacement).
      expect(drill.ignoreChanges).not.toContain("stdin");
      const publicIps = s.byType(INSTANCE).map((i) => String(i.state.publicIp));
      for (const ip of publicIps)
        expect(JSON.stringify(drill.inputs.triggers)).not.toContain(`"${ip}"`);
      for (const ip of publicIps) expect(String(drill.inputs.stdin)).not.toContain(`"${ip}"`);
      expect(drill.inputs.triggers).toEqual(
        expect.arrayContaining(instances("worker").map((w) => w.id)),
      );
      const fed = JSON.parse(drill.inputs.stdin);
      expect(fed.nodes).toHaveLength(cfg.managers.count + cfg.workers.count);
      expect(fed.replicas).toBe(cfg.was.replicas);
      expect(drill.dependsOn).toEqual(expect.arrayContaining(["was-service", "edge-0-nginx-conf"]));
      const service = s.byType("docker:index/service:Service")[0];
      expect(drill.seq).toBeGreaterThan(service.seq);
      expect(s.outputs.chaosReport).toMatchObject({ scenario: "stop-worker", passed: true });
    });

    it("tags every instance with the deployment id and makes instances and EIPs wait for the internet route", () => {
      expect(s.outputs.deploymentId).toMatch(/^[0-9a-f]{16}$/);
      expect(s.outputs.vpcId).toBe(s.one("net-vpc").id);
      const route = [
        "net-igw",
        "net-public",
        ...s.byType("aws:ec2/routeTableAssociation:RouteTableAssociation").map((a) => a.name),
      ];
      for (const r of [...s.byType(INSTANCE), ...s.byType("aws:ec2/eip:Eip")]) {
        expect(r.dependsOn, r.name).toEqual(expect.arrayContaining(route));
        if (r.type === INSTANCE)
          expect(r.inputs.tags[TAG_DEPLOYMENT], r.name).toBe(s.outputs.deploymentId);
      }
    });

    it("never replaces an instance because Canonical published a newer AMI", () => {
      for (const i of s.byType(INSTANCE)) expect(i.ignoreChanges, i.name).toContain("ami");
    });

    it("swarm steps: no SSH at delete, joins delete-before-replace, tokens never logged, dials sized for a booting instance", () => {
      const swarm = s.byType(REMOTE).filter((c) => c.name.startsWith("swarm-"));
      // No remote command of any component SSHes at delete: after a drill the recorded address is stale.
      for (const c of s.byType(REMOTE)) expect(c.inputs.delete, c.name).toBeUndefined();
      for (const c of swarm) {
        expect(c.inputs.connection, c.name).toMatchObject(SSH_DIAL);
        if (/-swarm-init$|-join-|-peer-probe$/.test(c.name))
          expect(String(c.inputs.create), c.name).toContain("cloud-init status --wait");
      }
      for (const c of swarm.filter((x) => x.name.startsWith("swarm-join-")))
        expect(c.deleteBeforeReplace, c.name).toBe(true);
      for (const c of swarm.filter((x) => /-token$|-peer-probe$/.test(x.name))) {
        expect(c.inputs.logging, c.name).toBe("stderr");
        expect(c.additionalSecretOutputs, c.name).toContain("stdout");
      }
    });

    it("a replaced first manager joins the other managers' swarm; replaced members are pruned after every join", () => {
      const init = s.one("swarm-swarm-init");
      const probes = s.byType(REMOTE).filter((c) => c.name === "swarm-peer-probe");
      expect(probes).toHaveLength(cfg.managers.count > 1 ? 1 : 0);
      if (probes.length) {
        expect(init.dependsOn).toContain("swarm-peer-probe");
        expect(init.secretInputs).toContain("stdin");
        expect(String(init.inputs.create)).toContain(
          `${instances("manager")[1].state.privateIp}:2377`,
        );
      }
      const prune = s.one("swarm-prune");
      const joins = s
        .byType(REMOTE)
        .filter((c) => c.name.startsWith("swarm-join-"))
        .map((c) => c.name);
      expect(prune.dependsOn).toEqual(expect.arrayContaining(joins));
      const nodes = [...instances("manager"), ...instances("worker")].map((n) => n.state.privateIp);
      const keep = /^keep=" (.*) "$/m.exec(String(prune.inputs.create))?.[1].split(" ");
      expect(keep?.sort()).toEqual(nodes.sort());
    });

    it("the Docker provider's key file is written on this run, 0600, and the service reads back without a diff", () => {
      const [provider] = s.byType("pulumi:providers:docker");
      const keyPath = provider.inputs.sshOpts ? JSON.parse(provider.inputs.sshOpts)[1] : undefined;
      expect(keyPath).toMatch(new RegExp(`^${os.tmpdir()}`));
      expect(fs.readFileSync(keyPath, "utf8")).toBe(String(s.outputs.sshPrivateKey));
      expect(fs.statSync(keyPath).mode & 0o777).toBe(0o600);
      expect(provider.inputs.host).toBe(`ssh://${cfg.ssh.user}@${s.outputs.managerAddress}`);
      const [svc] = s.byType("docker:index/service:Service");
      expect(svc.inputs.updateConfig.maxFailureRatio).toBe("0.0");
      const [mount] = svc.inputs.taskSpec.containerSpec.mounts;
      expect(mount.source).toMatch(/^[a-z-]+-[0-9a-f]{10}$/);
    });

    it("nests every resource under a swarm-ha component with a three-part token", () => {
      const components = s.resources.filter((r) => r.type.startsWith("swarm-ha:"));
      expect(components.map((c) => c.type).every((t) => t.split(":").length === 3)).toBe(true);
      for (const r of s.resources.filter(
        (x) => x.type.startsWith("aws:") && !["ssh"].includes(x.name),
      )) {
        expect(r.parent, r.name).toBeDefined();
      }
    });
  });
}
