import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  DescribeInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import {
  type CommandRunner,
  type Ec2Api,
  Ec2Stopper,
  observerCommand,
  parseNodes,
  parseObserverOutput,
  parseService,
  parseStackOutputs,
  parseTasks,
  SshSwarmObserver,
  TofuHostKeys,
} from "../../chaos/aws/aws";

const fixture = () =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/outputs.json"), "utf8"));

/** A fake EC2: instances with tags and a state machine; records every call. */
class FakeEc2 implements Ec2Api {
  calls: string[] = [];
  state = new Map<string, string>();
  constructor(
    readonly tags: Record<string, Record<string, string>>,
    readonly vpcs: Record<string, string> = {},
  ) {
    for (const id of Object.keys(tags)) this.state.set(id, "running");
  }
  async send(
    cmd: DescribeInstancesCommand | StopInstancesCommand | StartInstancesCommand,
  ): Promise<unknown> {
    const ids = cmd.input.InstanceIds ?? [];
    if (cmd instanceof StopInstancesCommand) {
      this.calls.push(`stop ${ids.join(",")}`);
      for (const id of ids) this.state.set(id, "stopped");
      return {};
    }
    if (cmd instanceof StartInstancesCommand) {
      this.calls.push(`start ${ids.join(",")}`);
      for (const id of ids) this.state.set(id, "running");
      return {};
    }
    this.calls.push(`describe ${ids.join(",")}`);
    return {
      Reservations: [
        {
          Instances: ids
            .filter((id) => id in this.tags)
            .map((id) => ({
              InstanceId: id,
              VpcId: this.vpcs[id] ?? STACK_VPC,
              State: { Name: this.state.get(id) },
              Tags: Object.entries(this.tags[id]).map(([Key, Value]) => ({ Key, Value })),
            })),
        },
      ],
    };
  }
}

const ours = (role: string) => ({
  "swarm-ha:project": "swarm-ha",
  "swarm-ha:stack": "dev",
  "swarm-ha:role": role,
  "swarm-ha:deployment": "dep-3f9c2a71b8e4",
  Name: "x",
});
const STACK_VPC = "vpc-0a1b2c3d4e5f60718";

describe("parseStackOutputs", () => {
  it("reads the fixture", () => {
    const o = parseStackOutputs(fixture());
    expect(o.nodes.map((n) => `${n.name}=${n.instanceId}`)).toContain(
      "swarm-ha-dev-worker-2=i-0bbbbbbbbbbbbbbb2",
    );
    expect(o.stackTags).toEqual({ project: "swarm-ha", stack: "dev" });
    expect(o.managerAddresses).toHaveLength(3);
    expect(o.managersRunTasks).toBe(true);
  });

  it("names the field and the fix", () => {
    const hidden = { ...fixture(), sshPrivateKey: "[secret]" };
    expect(() => parseStackOutputs(hidden)).toThrow(
      'stack output "sshPrivateKey": is a hidden secret; read the outputs with `pulumi stack output --json --show-secrets`',
    );
    const { stackTags: _drop, ...noTags } = fixture();
    expect(() => parseStackOutputs(noTags)).toThrow(/stack output "stackTags": is missing/);
    const bad = fixture();
    bad.nodes[1].instanceId = "vol-123";
    expect(() => parseStackOutputs(bad)).toThrow(/"instanceId": must be an EC2 instance id/);
    expect(() => parseStackOutputs({ ...fixture(), serviceName: "was; rm -rf /" })).toThrow(
      /is not a swarm service name/,
    );
    expect(() => parseStackOutputs([])).toThrow(/must be a JSON object/);
  });
});

describe("Ec2Stopper tag guard", () => {
  const outputs = parseStackOutputs(fixture());
  const fast = { minDelaySeconds: 1, maxDelaySeconds: 1, waitSeconds: 5 };

  it("stops and starts this stack's instance, checking tags before each call, and waits for the state", async () => {
    const ec2 = new FakeEc2({ "i-0bbbbbbbbbbbbbbb2": ours("worker") });
    const s = new Ec2Stopper(ec2, outputs, fast);
    await s.stop("swarm-ha-dev-worker-2");
    expect(ec2.state.get("i-0bbbbbbbbbbbbbbb2")).toBe("stopped");
    await s.start("swarm-ha-dev-worker-2");
    expect(ec2.state.get("i-0bbbbbbbbbbbbbbb2")).toBe("running");
    expect(ec2.calls).toEqual([
      "describe i-0bbbbbbbbbbbbbbb2", // tag guard
      "stop i-0bbbbbbbbbbbbbbb2",
      "describe i-0bbbbbbbbbbbbbbb2", // waiter: stopped
      "describe i-0bbbbbbbbbbbbbbb2", // tag guard
      "start i-0bbbbbbbbbbbbbbb2",
      "describe i-0bbbbbbbbbbbbbbb2", // waiter: running
    ]);
  });

  it("refuses an instance of another stack, one without tags, and a role mismatch, before any stop", async () => {
    const ec2 = new FakeEc2({
      "i-0bbbbbbbbbbbbbbb1": { ...ours("worker"), "swarm-ha:stack": "prod" },
      "i-0bbbbbbbbbbbbbbb2": { Name: "someone-elses" },
      "i-0bbbbbbbbbbbbbbb3": ours("manager"),
    });
    const s = new Ec2Stopper(ec2, outputs, fast);
    await expect(s.stop("swarm-ha-dev-worker-1")).rejects.toThrow(
      'refusing to touch swarm-ha-dev-worker-1 (i-0bbbbbbbbbbbbbbb1): tag swarm-ha:stack is "prod", expected "dev"',
    );
    await expect(s.stop("swarm-ha-dev-worker-2")).rejects.toThrow(
      /tag swarm-ha:project is missing, expected "swarm-ha"/,
    );
    await expect(s.stop("swarm-ha-dev-worker-3")).rejects.toThrow(
      /tag swarm-ha:role is "manager", expected "worker"/,
    );
    await expect(s.start("swarm-ha-dev-worker-1")).rejects.toThrow(/refusing to touch/);
    expect(ec2.calls.filter((c) => !c.startsWith("describe"))).toEqual([]);
  });

  it("refuses an instance without a role tag, of another deployment of the same stack name, or outside the stack's VPC", async () => {
    const { "swarm-ha:role": _r, ...noRole } = ours("worker");
    const ec2 = new FakeEc2(
      {
        "i-0bbbbbbbbbbbbbbb1": noRole,
        "i-0bbbbbbbbbbbbbbb2": { ...ours("worker"), "swarm-ha:deployment": "dep-other0000" },
        "i-0bbbbbbbbbbbbbbb3": ours("worker"),
      },
      { "i-0bbbbbbbbbbbbbbb3": "vpc-0ffffffffffffffff" },
    );
    const s = new Ec2Stopper(ec2, outputs, fast);
    await expect(s.stop("swarm-ha-dev-worker-1")).rejects.toThrow(
      /tag swarm-ha:role is missing, expected "worker"/,
    );
    await expect(s.stop("swarm-ha-dev-worker-2")).rejects.toThrow(
      /tag swarm-ha:deployment is "dep-other0000", expected "dep-3f9c2a71b8e4"/,
    );
    await expect(s.stop("swarm-ha-dev-worker-3")).rejects.toThrow(
      /it is in vpc-0ffffffffffffffff, not the stack's vpc-0a1b2c3d4e5f60718/,
    );
    expect(ec2.calls.filter((c) => !c.startsWith("describe"))).toEqual([]);
  });

  it("rejects duplicate node names in the outputs instead of taking the last entry", () => {
    const f = fixture();
    const dup = { ...f, nodes: [...f.nodes, { ...f.nodes[1], instanceId: "i-0ccccccccccccccc9" }] };
    expect(() => parseStackOutputs(dup)).toThrow(
      new RegExp(`stack output "nodes": name "${f.nodes[1].name}" appears twice`),
    );
    expect(
      () =>
        new Ec2Stopper(new FakeEc2({}), {
          ...outputs,
          nodes: [...outputs.nodes, outputs.nodes[0]],
        }),
    ).toThrow(/appears twice/);
  });

  it("requires the stack's vpcId and deploymentId outputs", () => {
    const { vpcId: _v, ...noVpc } = fixture();
    expect(() => parseStackOutputs(noVpc)).toThrow(/stack output "vpcId": is missing/);
    expect(() => parseStackOutputs({ ...fixture(), deploymentId: "x" })).toThrow(
      /stack output "deploymentId": must be the deployment's unique id/,
    );
  });

  it("refuses a name that is not one of the stack's nodes and an instance that does not exist", async () => {
    const ec2 = new FakeEc2({});
    const s = new Ec2Stopper(ec2, outputs, fast);
    await expect(s.stop("db-1")).rejects.toThrow(
      /refusing to touch db-1: it is not a node of stack dev/,
    );
    expect(ec2.calls).toEqual([]);
    await expect(s.stop("swarm-ha-dev-worker-1")).rejects.toThrow(
      /instance i-0bbbbbbbbbbbbbbb1 was not found/,
    );
  });
});

const NODES = JSON.stringify([
  {
    ID: "m1id",
    Description: { Hostname: "mgr-1" },
    Spec: { Role: "manager", Availability: "active" },
    Status: { State: "ready", Addr: "10.42.1.11" },
    ManagerStatus: { Leader: true, Reachability: "reachable" },
  },
  {
    ID: "w1id",
    Description: { Hostname: "wrk-1" },
    Spec: { Role: "worker", Availability: "active" },
    Status: { State: "down", Addr: "10.42.1.21" },
  },
  {
    ID: "w2id",
    Description: { Hostname: "wrk-2" },
    Spec: { Role: "worker", Availability: "drain" },
    Status: { State: "ready" },
  },
]);
const TASKS = JSON.stringify([
  { ID: "t1", NodeID: "w1id", Slot: 1, Status: { State: "running" }, DesiredState: "running" },
  { ID: "t2", NodeID: "m1id", Slot: 1, Status: { State: "starting" }, DesiredState: "running" },
  { ID: "t0", NodeID: "w2id", Slot: 2, Status: { State: "shutdown" }, DesiredState: "shutdown" },
]);
const SERVICE = JSON.stringify({
  ID: "s",
  Spec: {
    Name: "was",
    Mode: { Replicated: { Replicas: 3 } },
    TaskTemplate: { Placement: { Constraints: ["node.role==worker"], MaxReplicas: 1 } },
  },
});

describe("Engine API parsing", () => {
  it("parses nodes, tasks and the service", () => {
    expect(parseNodes(NODES)).toEqual([
      {
        id: "m1id",
        hostname: "mgr-1",
        role: "manager",
        status: "ready",
        availability: "active",
        leader: true,
        addr: "10.42.1.11",
      },
      {
        id: "w1id",
        hostname: "wrk-1",
        role: "worker",
        status: "down",
        availability: "active",
        leader: false,
        addr: "10.42.1.21",
      },
      {
        id: "w2id",
        hostname: "wrk-2",
        role: "worker",
        status: "ready",
        availability: "drain",
        leader: false,
      },
    ]);
    expect(parseTasks(TASKS)[0]).toEqual({
      id: "t1",
      nodeId: "w1id",
      slot: 1,
      state: "running",
      desiredState: "running",
    });
    expect(parseService(SERVICE)).toEqual({
      replicas: 3,
      placement: { constraints: ["node.role==worker"], maxReplicasPerNode: 1 },
    });
  });

  it("turns API errors and garbage into errors", () => {
    expect(() => parseNodes('{"message":"This node is not a swarm manager."}')).toThrow(
      "docker API: This node is not a swarm manager.",
    );
    expect(() => parseTasks("curl: (7) Couldn't connect")).toThrow(/GET \/tasks: not JSON/);
    expect(() => parseObserverOutput(NODES)).toThrow(/unexpected observer output/);
  });

  it("builds one shell-safe command per sample", () => {
    const cmd = observerCommand("was");
    expect(cmd).toContain("--unix-socket /var/run/docker.sock 'http://localhost/nodes'");
    expect(cmd).toContain("/tasks?filters=%7B%22service%22%3A%5B%22was%22%5D%7D");
    expect(() => observerCommand("was'; reboot")).toThrow(/invalid service name/);
  });
});

class FakeRunner implements CommandRunner {
  calls: string[] = [];
  dropped: string[] = [];
  down = new Set<string>();
  async run(host: string): Promise<string> {
    this.calls.push(host);
    if (this.down.has(host)) throw new Error("connect ETIMEDOUT");
    return [NODES, TASKS, SERVICE].join("\n--swarm-ha-observer--\n");
  }
  drop(host: string): void {
    this.dropped.push(host);
  }
  close(): void {}
}

describe("SshSwarmObserver", () => {
  it("shares one round trip between nodes() and tasks() and falls back to the next manager", async () => {
    const runner = new FakeRunner();
    const obs = new SshSwarmObserver(runner, ["a", "b", "c"], "was", { coalesceMs: 1000 });
    const [nodes, tasks] = await Promise.all([obs.nodes(), obs.tasks("was")]);
    expect(nodes).toHaveLength(3);
    expect(tasks).toHaveLength(3);
    expect(runner.calls).toEqual(["a"]);

    runner.down.add("a");
    const obs2 = new SshSwarmObserver(runner, ["a", "b", "c"], "was", { coalesceMs: 0 });
    runner.calls = [];
    expect(await obs2.desiredReplicas("was")).toBe(3);
    expect(runner.calls).toEqual(["a", "b"]);
    expect(runner.dropped).toEqual(["a"]);
    expect(obs2.manager).toBe("b");
    runner.calls = [];
    await obs2.nodes();
    expect(runner.calls).toEqual(["b"]); // sticks with the one that answers

    runner.down = new Set(["a", "b", "c"]);
    await expect(obs2.nodes()).rejects.toThrow(
      "no manager answered: b: connect ETIMEDOUT; c: connect ETIMEDOUT; a: connect ETIMEDOUT",
    );
    await expect(obs2.tasks("other")).rejects.toThrow(/reads service was, not other/);
  });
});

describe("TofuHostKeys", () => {
  it("records a host's first key, accepts it again, and refuses a different one", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tofu-")), "known");
    const keys = new TofuHostKeys(file);
    expect(keys.verify("203.0.113.5", Buffer.from("key-a"))).toBe(true);
    expect(keys.verify("203.0.113.5", Buffer.from("key-a"))).toBe(true);
    expect(new TofuHostKeys(file).verify("203.0.113.5", Buffer.from("key-b"))).toBe(false);
    expect(keys.verify("203.0.113.6", Buffer.from("key-b"))).toBe(true);
    expect(fs.readFileSync(file, "utf8").trim().split("\n")).toHaveLength(2);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
  });
});
