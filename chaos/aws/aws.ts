/**
 * The AWS adapters of the drill: an EC2 NodeStopper that only ever touches instances tagged as
 * this stack's, and a SwarmObserver that reads the managers' Docker Engine API over SSH. Both are
 * built from the stack outputs (`pulumi stack output --json --show-secrets`, the same object the
 * ChaosCheck component passes on stdin).
 */

import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
} from "@aws-sdk/client-ec2";
import { Client as SshClient } from "ssh2";
import { TAG_DEPLOYMENT, TAG_PROJECT, TAG_ROLE, TAG_STACK } from "../../base/tags";
import { HOLDER_MARKER_ADDRESS, KEEPALIVED_PATHS } from "../../renderers/keepalived";
import { nodeFromEngine, taskFromEngine } from "../engineApi";
import { answers } from "../load/probe";
import type {
  EdgeObserver,
  NodeInfo,
  NodeRole,
  NodeStopper,
  PlacementInfo,
  PlacementObserver,
  TaskInfo,
} from "../types";

// ---------------------------------------------------------------------------------------------
// Stack outputs

/** The stack outputs the drill reads (index.ts exports them; see ChaosCheck). */
export interface StackOutputs {
  readonly url: string;
  readonly region: string;
  readonly managerAddress: string;
  /** Public addresses of every manager, the first one first: the observer falls back along this list. */
  readonly managerAddresses: readonly string[];
  readonly nodes: readonly StackNode[];
  readonly edgeInstanceIds: readonly string[];
  /** Allocation id of the balancer pair's Elastic IP (what the pair's notify script moves); absent on older stacks. */
  readonly edgeEipAllocationId?: string;
  readonly serviceName: string;
  readonly replicas: number;
  readonly managersRunTasks: boolean;
  readonly sshUser: string;
  readonly sshPrivateKey: string;
  readonly stackTags: { readonly project: string; readonly stack: string };
  /** The stack's VPC: the tag guard refuses an instance outside it. */
  readonly vpcId: string;
  /** Unique to one deployment; every instance carries it as the `swarm-ha:deployment` tag. */
  readonly deploymentId: string;
}

/** What the tag guard needs from the outputs: the nodes and the identity of the deployment they belong to. */
export type GuardedOutputs = Pick<StackOutputs, "nodes" | "stackTags" | "vpcId" | "deploymentId">;

export interface StackNode {
  /** Swarm hostname (cloud-init sets the instance hostname to it). */
  readonly name: string;
  /** "edge" only for the balancers the edge drill builds from edgeInstanceIds (never in `nodes`). */
  readonly role: NodeRole | "edge";
  readonly instanceId: string;
  readonly privateIp: string;
  readonly publicIp: string;
  readonly swarmNodeId?: string;
}

/** One bad outputs document: the message names the field and the fix. */
export class OutputsError extends Error {
  constructor(field: string, reason: string) {
    super(`stack output "${field}": ${reason}`);
    this.name = "OutputsError";
  }
}

const SECRET_PLACEHOLDER = "[secret]";

function field<T>(
  o: Record<string, unknown>,
  key: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const v = o[key];
  if (v === SECRET_PLACEHOLDER) {
    throw new OutputsError(
      key,
      "is a hidden secret; read the outputs with `pulumi stack output --json --show-secrets`",
    );
  }
  if (!check(v)) {
    throw new OutputsError(
      key,
      `${v === undefined ? "is missing" : `must be ${expected} (got ${JSON.stringify(v)})`}; is the stack deployed with this version of swarm-ha?`,
    );
  }
  return v;
}

const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === "boolean";
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** Validates the JSON `pulumi stack output --json --show-secrets` prints. */
export function parseStackOutputs(json: unknown): StackOutputs {
  if (!isObj(json))
    throw new OutputsError(
      "(root)",
      "must be a JSON object as printed by `pulumi stack output --json --show-secrets`",
    );
  const nodesRaw = field(
    json,
    "nodes",
    (v): v is unknown[] => Array.isArray(v) && v.length > 0,
    "a non-empty list",
  );
  const nodes = nodesRaw.map((n, i): StackNode => {
    if (!isObj(n)) throw new OutputsError(`nodes[${i}]`, "must be an object");
    const role = field(
      n,
      "role",
      (v): v is NodeRole => v === "manager" || v === "worker",
      '"manager" or "worker"',
    );
    const instanceId = field(
      n,
      "instanceId",
      (v): v is string => isStr(v) && INSTANCE_ID.test(v),
      "an EC2 instance id like i-0123456789abcdef0",
    );
    return {
      name: field(n, "name", isStr, "a host name"),
      role,
      instanceId,
      privateIp: field(n, "privateIp", isStr, "an IP address"),
      publicIp: field(n, "publicIp", isStr, "an IP address"),
      ...(isStr(n.swarmNodeId) ? { swarmNodeId: n.swarmNodeId } : {}),
    };
  });
  const names = new Set<string>();
  for (const n of nodes) {
    if (names.has(n.name))
      throw new OutputsError(
        "nodes",
        `name "${n.name}" appears twice; each node name must be unique (the drill would touch the wrong instance)`,
      );
    names.add(n.name);
  }
  const tags = field(json, "stackTags", isObj, "an object { project, stack }");
  const serviceName = field(json, "serviceName", isStr, "the swarm service name");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(serviceName))
    throw new OutputsError("serviceName", `"${serviceName}" is not a swarm service name`);
  const sshUser = field(json, "sshUser", isStr, "a login name");
  if (!/^[a-z_][a-z0-9_-]*$/.test(sshUser))
    throw new OutputsError("sshUser", `"${sshUser}" is not a login name`);
  return {
    url: field(json, "url", isStr, "the entry point URL"),
    region: field(json, "region", isStr, "an AWS region"),
    managerAddress: field(json, "managerAddress", isStr, "an address"),
    managerAddresses: field(json, "managerAddresses", isStrArr, "a list of addresses"),
    nodes,
    edgeInstanceIds: isStrArr(json.edgeInstanceIds) ? json.edgeInstanceIds : [],
    ...(isStr(json.edgeEipAllocationId) && /^eipalloc-[0-9a-f]+$/.test(json.edgeEipAllocationId)
      ? { edgeEipAllocationId: json.edgeEipAllocationId }
      : {}),
    serviceName,
    replicas: field(json, "replicas", isNum, "a number"),
    managersRunTasks: field(json, "managersRunTasks", isBool, "true or false"),
    sshUser,
    sshPrivateKey: field(
      json,
      "sshPrivateKey",
      (v): v is string => isStr(v) && v.includes("PRIVATE KEY"),
      "an OpenSSH/PEM private key",
    ),
    stackTags: {
      project: field(tags, "project", isStr, "a project name"),
      stack: field(tags, "stack", isStr, "a stack name"),
    },
    vpcId: field(
      json,
      "vpcId",
      (v): v is string => isStr(v) && /^vpc-[0-9a-f]{8,17}$/.test(v),
      "a VPC id like vpc-0123456789abcdef0",
    ),
    deploymentId: field(
      json,
      "deploymentId",
      (v): v is string => isStr(v) && /^[A-Za-z0-9._-]{6,64}$/.test(v),
      "the deployment's unique id",
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// EC2 stopper

/** The part of EC2Client the stopper uses; tests pass a fake. */
export interface Ec2Api {
  send(
    command: DescribeInstancesCommand | StopInstancesCommand | StartInstancesCommand,
  ): Promise<unknown>;
}

// The same keys the components tag every resource with (base/tags.ts has no Pulumi imports).
export { TAG_DEPLOYMENT, TAG_PROJECT, TAG_ROLE, TAG_STACK };

export interface Ec2StopperOptions {
  /** Seconds the stop/start waiters wait. Default 600. */
  readonly waitSeconds?: number;
  /** Waiter poll period bounds in seconds. Default 5..15 (the SDK's default minimum is 15). */
  readonly minDelaySeconds?: number;
  readonly maxDelaySeconds?: number;
  readonly log?: (line: string) => void;
}

/**
 * Stops and starts a swarm node's EC2 instance. The target is a swarm hostname, mapped to an
 * instance id by the stack outputs; before every stop AND start the instance's tags are read back
 * and the call is refused unless they name this stack's project and stack (and the node's role).
 */
export class Ec2Stopper implements NodeStopper {
  private readonly byName: Map<string, StackNode>;

  constructor(
    private readonly ec2: Ec2Api,
    private readonly outputs: GuardedOutputs,
    private readonly opts: Ec2StopperOptions = {},
  ) {
    this.byName = new Map();
    for (const n of outputs.nodes) {
      if (this.byName.has(n.name))
        throw new OutputsError(
          "nodes",
          `name "${n.name}" appears twice; each node name must be unique`,
        );
      this.byName.set(n.name, n);
    }
  }

  /** The instance id of a node after the tag check; throws with the reason otherwise. */
  async guard(target: string): Promise<string> {
    const node = this.byName.get(target);
    if (!node) {
      throw new Error(
        `refusing to touch ${target}: it is not a node of stack ${this.outputs.stackTags.stack} (known: ${[...this.byName.keys()].join(", ")})`,
      );
    }
    const out = (await this.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [node.instanceId] }),
    )) as {
      Reservations?: Array<{
        Instances?: Array<{
          InstanceId?: string;
          VpcId?: string;
          Tags?: Array<{ Key?: string; Value?: string }>;
        }>;
      }>;
    };
    const instances = (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.InstanceId === node.instanceId);
    if (instances.length !== 1)
      throw new Error(`refusing to touch ${target}: instance ${node.instanceId} was not found`);
    const refuse = (why: string) =>
      new Error(
        `refusing to touch ${target} (${node.instanceId}): ${why}; the drill only touches this deployment's instances`,
      );
    const tags = new Map((instances[0].Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
    // The outputs file may have been edited: every value is checked against the instance itself,
    // and the deployment tag and the VPC tell two stacks of the same name apart.
    const want: Array<[string, string]> = [
      [TAG_PROJECT, this.outputs.stackTags.project],
      [TAG_STACK, this.outputs.stackTags.stack],
      [TAG_ROLE, node.role],
      [TAG_DEPLOYMENT, this.outputs.deploymentId],
    ];
    for (const [k, v] of want) {
      if (tags.get(k) !== v)
        throw refuse(
          `tag ${k} is ${tags.has(k) ? JSON.stringify(tags.get(k)) : "missing"}, expected ${JSON.stringify(v)}`,
        );
    }
    if (instances[0].VpcId !== this.outputs.vpcId) {
      throw refuse(
        `it is in ${instances[0].VpcId ?? "no VPC"}, not the stack's ${this.outputs.vpcId}`,
      );
    }
    return node.instanceId;
  }

  private waiter() {
    return {
      // The waiters only call send(DescribeInstancesCommand), which Ec2Api provides.
      client: this.ec2 as unknown as EC2Client,
      maxWaitTime: this.opts.waitSeconds ?? 600,
      minDelay: this.opts.minDelaySeconds ?? 5,
      maxDelay: this.opts.maxDelaySeconds ?? 15,
    };
  }

  async stop(target: string): Promise<void> {
    const id = await this.guard(target);
    this.opts.log?.(`ec2: stopping ${target} (${id})`);
    await this.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await waitUntilInstanceStopped(this.waiter(), { InstanceIds: [id] });
    this.opts.log?.(`ec2: ${target} (${id}) stopped`);
  }

  async start(target: string): Promise<void> {
    const id = await this.guard(target);
    this.opts.log?.(`ec2: starting ${target} (${id})`);
    await this.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await waitUntilInstanceRunning(this.waiter(), { InstanceIds: [id] });
    this.opts.log?.(`ec2: ${target} (${id}) running`);
  }
}

// ---------------------------------------------------------------------------------------------
// The balancer pair (edge drill)

/** Balancer names the components give the pair's instances (components/edge.ts: `edge-<i>`). */
export function edgeNodes(o: Pick<StackOutputs, "edgeInstanceIds">): StackNode[] {
  return o.edgeInstanceIds.map((instanceId, i) => ({
    name: `edge-${i}`,
    role: "edge" as const,
    instanceId,
    privateIp: "",
    publicIp: "",
  }));
}

/** The part of EC2Client the edge observer uses. */
export interface Ec2EdgeApi {
  send(command: DescribeAddressesCommand | DescribeInstancesCommand): Promise<unknown>;
}

/** One balancer's VRRP view, read over SSH (renderers/keepalived.ts: state file and marker address). */
export interface VrrpState {
  /** MASTER, BACKUP, FAULT from the notify script's state file, or NONE. */
  readonly state: string;
  /** `systemctl is-active keepalived` said active. */
  readonly keepalivedUp: boolean;
  /** The node holds the loopback marker 127.0.0.100 (keepalived's virtual address on AWS). */
  readonly holdsMarker: boolean;
}

/** The one shell command a VRRP read costs (read-only; no sudo needed). */
export const VRRP_COMMAND =
  `s=$(cat ${KEEPALIVED_PATHS.stateFile} 2>/dev/null || echo NONE); ` +
  `k=$(systemctl is-active keepalived 2>/dev/null || true); ` +
  `m=$(ip -4 -o addr show dev lo 2>/dev/null | grep -c ' ${HOLDER_MARKER_ADDRESS.split("/")[0]}/' || true); ` +
  `echo "vrrp $s $k $m"`;

export function parseVrrp(stdout: string): VrrpState {
  const m = /^vrrp (\S+) (\S*) ?(\d+)\s*$/m.exec(stdout);
  if (!m) throw new Error(`unexpected VRRP read: ${stdout.slice(0, 200)}`);
  return { state: m[1], keepalivedUp: m[2] === "active", holdsMarker: Number(m[3]) > 0 };
}

export interface Ec2EdgeObserverOptions {
  /** SSH to the balancers (VRRP state). Without it only the EIP association is read (cannot see a split brain). */
  readonly runner?: CommandRunner;
  readonly probeTimeoutMs?: number;
  readonly sshTimeoutMs?: number;
}

/**
 * The pair as AWS shows it AND as keepalived sees it. An Elastic IP has one holder by
 * construction, so the EIP alone cannot show a split brain: each running balancer is also asked
 * over SSH whether it holds keepalived's marker address (VRRP MASTER). The holders are the union
 * of the EIP's instance and every MASTER; two MASTERs, or an EIP left on the BACKUP, show as two
 * holders. `ready()` means the instance runs AND its keepalived is up in MASTER or BACKUP, so the
 * window after the return starts once VRRP really runs there. Stopping and starting goes through
 * Ec2Stopper built over `edgeNodes(outputs)`, whose tag guard checks swarm-ha:role=edge.
 */
export class Ec2EdgeObserver implements EdgeObserver {
  private readonly byId: Map<string, string>;
  constructor(
    private readonly ec2: Ec2EdgeApi,
    private readonly outputs: Pick<StackOutputs, "edgeInstanceIds" | "edgeEipAllocationId" | "url">,
    private readonly opts: Ec2EdgeObserverOptions = {},
  ) {
    if (!outputs.edgeEipAllocationId) {
      throw new OutputsError(
        "edgeEipAllocationId",
        "is missing; the balancer drill needs the pair's Elastic IP (edge.nodes=2, deployed with this version of swarm-ha)",
      );
    }
    this.byId = new Map(edgeNodes(outputs).map((n) => [n.instanceId, n.name]));
  }

  async nodes(): Promise<string[]> {
    return [...this.byId.values()];
  }

  /** Instance state and public address of each balancer, by name. */
  private async instances(): Promise<Map<string, { state?: string; address?: string }>> {
    const out = (await this.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [...this.byId.keys()] }),
    )) as {
      Reservations?: Array<{
        Instances?: Array<{
          InstanceId?: string;
          State?: { Name?: string };
          PublicIpAddress?: string;
          PrivateIpAddress?: string;
        }>;
      }>;
    };
    const m = new Map<string, { state?: string; address?: string }>();
    for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      const name = this.byId.get(i.InstanceId ?? "");
      if (name)
        m.set(name, { state: i.State?.Name, address: i.PublicIpAddress ?? i.PrivateIpAddress });
    }
    return m;
  }

  /** VRRP state of a running balancer; undefined when it cannot be read (booting, no SSH yet). */
  private async vrrp(address: string | undefined): Promise<VrrpState | undefined> {
    if (!this.opts.runner || !address) return undefined;
    try {
      return parseVrrp(
        await this.opts.runner.run(address, VRRP_COMMAND, this.opts.sshTimeoutMs ?? 3000),
      );
    } catch {
      this.opts.runner.drop(address);
      return undefined;
    }
  }

  private async eipHolder(): Promise<string | undefined> {
    const out = (await this.ec2.send(
      new DescribeAddressesCommand({ AllocationIds: [this.outputs.edgeEipAllocationId!] }),
    )) as {
      Addresses?: Array<{ InstanceId?: string }>;
    };
    const id = out.Addresses?.[0]?.InstanceId;
    return id ? (this.byId.get(id) ?? `foreign instance ${id}`) : undefined;
  }

  async holders(): Promise<string[]> {
    const [eip, inst] = await Promise.all([
      this.eipHolder(),
      this.opts.runner ? this.instances() : Promise.resolve(new Map()),
    ]);
    const holders = new Set<string>(eip ? [eip] : []);
    const reads = [...inst.entries()]
      .filter(([, i]) => i.state === "running")
      .map(async ([name, i]) => ((await this.vrrp(i.address))?.holdsMarker ? name : undefined));
    for (const name of await Promise.all(reads)) if (name) holders.add(name);
    return [...holders].sort();
  }

  async ready(node: string): Promise<boolean> {
    const i = (await this.instances()).get(node);
    if (i?.state !== "running") return false;
    if (!this.opts.runner) return true;
    const v = await this.vrrp(i.address);
    return v !== undefined && v.keepalivedUp && (v.state === "MASTER" || v.state === "BACKUP");
  }

  answers(): Promise<boolean> {
    return answers(this.outputs.url, this.opts.probeTimeoutMs ?? 1000);
  }
}

// ---------------------------------------------------------------------------------------------
// Engine API parsing (GET /nodes, /tasks, /services/{name})

function apiError(json: unknown): void {
  if (isObj(json) && typeof json.message === "string")
    throw new Error(`docker API: ${json.message}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: not JSON: ${text.slice(0, 200)}`);
  }
}

/** GET /nodes → NodeInfo[]. */
export function parseNodes(text: string): NodeInfo[] {
  const json = parseJson(text, "GET /nodes");
  apiError(json);
  if (!Array.isArray(json)) throw new Error("GET /nodes: expected a list");
  return json.map(nodeFromEngine);
}

/** GET /tasks?filters={"service":[name]} → TaskInfo[]. */
export function parseTasks(text: string): TaskInfo[] {
  const json = parseJson(text, "GET /tasks");
  apiError(json);
  if (!Array.isArray(json)) throw new Error("GET /tasks: expected a list");
  return json.map(taskFromEngine);
}

/** GET /services/{name} → desired replicas and placement. */
export function parseService(text: string): { replicas: number; placement: PlacementInfo } {
  const json = parseJson(text, "GET /services");
  apiError(json);
  const s = json as Record<string, any>;
  const replicas = s.Spec?.Mode?.Replicated?.Replicas;
  if (typeof replicas !== "number") throw new Error("GET /services: not a replicated service");
  const p = s.Spec?.TaskTemplate?.Placement ?? {};
  return {
    replicas,
    placement: {
      constraints: Array.isArray(p.Constraints) ? p.Constraints.map(String) : [],
      maxReplicasPerNode: typeof p.MaxReplicas === "number" ? p.MaxReplicas : 0,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SSH observer

/** Runs a command on a host and returns its stdout; rejects on exit != 0 or timeout. */
export interface CommandRunner {
  run(host: string, command: string, timeoutMs: number): Promise<string>;
  /** Forget a host's connection (after an error) so the next run reconnects. */
  drop(host: string): void;
  close(): void;
}

const SEP = "--swarm-ha-observer--";

/** The one shell command a sample costs: nodes and tasks from the Engine API through its socket. */
export function observerCommand(service: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(service))
    throw new Error(`invalid service name ${JSON.stringify(service)}`);
  const curl = (p: string) =>
    `curl -sS --max-time 3 --unix-socket /var/run/docker.sock 'http://localhost${p}'`;
  const filters = encodeURIComponent(JSON.stringify({ service: [service] }));
  return `sudo -n sh -c "${curl("/nodes")}; echo; echo ${SEP}; ${curl(`/tasks?filters=${filters}`)}; echo; echo ${SEP}; ${curl(`/services/${service}`)}"`;
}

export function parseObserverOutput(stdout: string): {
  nodes: NodeInfo[];
  tasks: TaskInfo[];
  service: ReturnType<typeof parseService>;
} {
  const parts = stdout.split(SEP);
  if (parts.length !== 3) throw new Error(`unexpected observer output: ${stdout.slice(0, 200)}`);
  return {
    nodes: parseNodes(parts[0]),
    tasks: parseTasks(parts[1]),
    service: parseService(parts[2]),
  };
}

export interface SshObserverOptions {
  /** Per-command timeout. Default 4000 ms (a stopped manager must not stall the drill). */
  readonly timeoutMs?: number;
  /** nodes() and tasks() called within this window share one SSH round trip. Default 150 ms. */
  readonly coalesceMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * Reads the swarm through a manager's Engine API over SSH. Starts with the first manager; when it
 * does not answer (it may be the one the drill stopped) moves on to the next, so a leader drill
 * keeps observing while the remaining managers elect a new leader.
 */
export class SshSwarmObserver implements PlacementObserver {
  private current = 0;
  private pending?: { at: number; promise: Promise<ReturnType<typeof parseObserverOutput>> };
  private readonly timeoutMs: number;
  private readonly coalesceMs: number;

  constructor(
    private readonly runner: CommandRunner,
    private readonly managers: readonly string[],
    private readonly service: string,
    private readonly opts: SshObserverOptions = {},
  ) {
    if (managers.length === 0)
      throw new Error("SshSwarmObserver needs at least one manager address");
    this.timeoutMs = opts.timeoutMs ?? 4000;
    this.coalesceMs = opts.coalesceMs ?? 150;
  }

  /** The manager address answering now. */
  get manager(): string {
    return this.managers[this.current];
  }

  private snapshot(): Promise<ReturnType<typeof parseObserverOutput>> {
    const now = Date.now();
    if (this.pending && now - this.pending.at < this.coalesceMs) return this.pending.promise;
    const promise = this.fetch();
    this.pending = { at: now, promise };
    return promise;
  }

  private async fetch(): Promise<ReturnType<typeof parseObserverOutput>> {
    const errors: string[] = [];
    for (let i = 0; i < this.managers.length; i++) {
      const idx = (this.current + i) % this.managers.length;
      const host = this.managers[idx];
      try {
        const out = parseObserverOutput(
          await this.runner.run(host, observerCommand(this.service), this.timeoutMs),
        );
        if (idx !== this.current)
          this.opts.log?.(`observer: now reading the swarm through ${host}`);
        this.current = idx;
        return out;
      } catch (e) {
        errors.push(`${host}: ${e instanceof Error ? e.message : String(e)}`);
        this.runner.drop(host);
      }
    }
    throw new Error(`no manager answered: ${errors.join("; ")}`);
  }

  async nodes(): Promise<NodeInfo[]> {
    return (await this.snapshot()).nodes;
  }
  async tasks(service: string): Promise<TaskInfo[]> {
    this.checkService(service);
    return (await this.snapshot()).tasks;
  }
  async desiredReplicas(service: string): Promise<number> {
    this.checkService(service);
    return (await this.snapshot()).service.replicas;
  }
  async placement(service: string): Promise<PlacementInfo> {
    this.checkService(service);
    return (await this.snapshot()).service.placement;
  }
  close(): void {
    this.runner.close();
  }

  private checkService(service: string): void {
    if (service !== this.service)
      throw new Error(`this observer reads service ${this.service}, not ${service}`);
  }
}

/** A CommandRunner over ssh2: one connection per host, reused across samples. */
/**
 * Trust-on-first-use host keys: the first key a host presents is recorded (SHA-256, in a file beside
 * the user's known_hosts); a different key later is refused, so a drill never sends the SSH session,
 * or acts on answers, of a host that was swapped under it.
 */
export class TofuHostKeys {
  constructor(readonly file: string = path.join(os.homedir(), ".ssh", "swarm-ha_known_hosts")) {}

  private read(): Map<string, string> {
    const m = new Map<string, string>();
    if (!fs.existsSync(this.file)) return m;
    for (const line of fs.readFileSync(this.file, "utf8").split("\n")) {
      const [host, fp] = line.trim().split(/\s+/);
      if (host && fp) m.set(host, fp);
    }
    return m;
  }

  /** True when the key is the one recorded for the host, or the host is new (then it is recorded). */
  verify(host: string, key: Buffer): boolean {
    const fp = `SHA256:${createHash("sha256").update(key).digest("base64")}`;
    const known = this.read().get(host);
    if (known) return known === fp;
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    fs.appendFileSync(this.file, `${host} ${fp}\n`, { mode: 0o600 });
    return true;
  }
}

export class Ssh2Runner implements CommandRunner {
  private readonly conns = new Map<string, Promise<SshClient>>();

  constructor(
    private readonly auth: {
      readonly username: string;
      readonly privateKey: string;
      readonly port?: number;
    },
    private readonly hostKeys: TofuHostKeys = new TofuHostKeys(),
  ) {}

  private connect(host: string, timeoutMs: number): Promise<SshClient> {
    let p = this.conns.get(host);
    if (!p) {
      p = new Promise<SshClient>((resolve, reject) => {
        const c = new SshClient();
        c.on("ready", () => resolve(c));
        c.on("error", (e) => {
          this.conns.delete(host);
          reject(
            /verification failed/i.test(e.message)
              ? new Error(
                  `${host} presented a different SSH host key than recorded in ${this.hostKeys.file}; if the instance was replaced on purpose, delete its line there`,
                )
              : e,
          );
        });
        c.on("close", () => this.conns.delete(host));
        c.connect({
          host,
          port: this.auth.port ?? 22,
          username: this.auth.username,
          privateKey: this.auth.privateKey,
          readyTimeout: timeoutMs,
          hostVerifier: (key: Buffer) => this.hostKeys.verify(host, key),
          keepaliveInterval: 1000,
          keepaliveCountMax: 2,
        });
      });
      this.conns.set(host, p);
    }
    return p;
  }

  async run(host: string, command: string, timeoutMs: number): Promise<string> {
    const conn = await this.connect(host, timeoutMs);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop(host);
        reject(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      conn.exec(command, (err, stream) => {
        if (err) {
          clearTimeout(timer);
          reject(err);
          return;
        }
        let out = "";
        let errOut = "";
        stream.on("data", (d: Buffer) => (out += d.toString("utf8")));
        stream.stderr.on("data", (d: Buffer) => (errOut += d.toString("utf8")));
        stream.on("close", (code: number | null) => {
          clearTimeout(timer);
          if (code === 0) resolve(out);
          else reject(new Error(`exit ${code}: ${errOut.trim().slice(0, 300)}`));
        });
      });
    });
  }

  drop(host: string): void {
    const p = this.conns.get(host);
    this.conns.delete(host);
    p?.then((c) => c.end()).catch(() => undefined);
  }

  close(): void {
    for (const host of [...this.conns.keys()]) this.drop(host);
  }
}
