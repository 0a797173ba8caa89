/**
 * The AWS balancer observer through the real drill core, against a scripted pair: EC2 (instance
 * state, Elastic IP association) and each balancer's VRRP state over "SSH" are functions of the
 * fake clock. An EIP always has one holder, so these drills can only fail because the observer
 * also reads keepalived: a pair that flaps or double-holds after the return MUST fail.
 */
import { DescribeAddressesCommand, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { type CommandRunner, Ec2EdgeObserver, parseVrrp, VRRP_COMMAND } from "../../chaos/aws/aws";
import { runDrill } from "../../chaos/drill/core";
import type { NodeStopper } from "../../chaos/types";
import { FakeClock, ScriptedSwarm, workerScript } from "./fakes";

const IDS = { "edge-0": "i-0eeeeeeeeeeeeeee0", "edge-1": "i-0eeeeeeeeeeeeeee1" } as const;
type Name = keyof typeof IDS;
const ADDR: Record<Name, string> = { "edge-0": "203.0.113.10", "edge-1": "203.0.113.11" };

interface PairWorld {
  /** Seconds since the stop / since the start (undefined before). */
  readonly sinceStop?: number;
  readonly sinceStart?: number;
}
interface PairScript {
  eip(w: PairWorld): Name | undefined;
  /** Who holds keepalived's marker address (VRRP MASTER). */
  masters(w: PairWorld): Name[];
  /** Seconds after the start until edge-0's keepalived is active again. */
  keepalivedAfter: number;
}

class ScriptedPair implements NodeStopper, CommandRunner {
  stopAt?: number;
  startAt?: number;
  commands: string[] = [];
  constructor(
    readonly clock: FakeClock,
    readonly script: PairScript,
  ) {}
  world(): PairWorld {
    const s = (at?: number) => (at === undefined ? undefined : (this.clock.now() - at) / 1000);
    return { sinceStop: s(this.stopAt), sinceStart: s(this.startAt) };
  }
  running(n: Name): boolean {
    return n !== "edge-0" || this.stopAt === undefined || this.startAt !== undefined;
  }
  async stop(): Promise<void> {
    this.stopAt = this.clock.now();
  }
  async start(): Promise<void> {
    this.startAt = this.clock.now();
  }
  // EC2
  async send(cmd: DescribeAddressesCommand | DescribeInstancesCommand): Promise<unknown> {
    if (cmd instanceof DescribeAddressesCommand) {
      const h = this.script.eip(this.world());
      return {
        Addresses: [
          { AllocationId: "eipalloc-0123456789abcdef0", ...(h ? { InstanceId: IDS[h] } : {}) },
        ],
      };
    }
    return {
      Reservations: [
        {
          Instances: (Object.keys(IDS) as Name[]).map((n) => ({
            InstanceId: IDS[n],
            State: { Name: this.running(n) ? "running" : "stopped" },
            PublicIpAddress: ADDR[n],
          })),
        },
      ],
    };
  }
  // SSH
  async run(host: string, command: string): Promise<string> {
    this.commands.push(command);
    const n = (Object.keys(ADDR) as Name[]).find((k) => ADDR[k] === host)!;
    if (!this.running(n)) throw new Error("connect ETIMEDOUT");
    const w = this.world();
    const up =
      n !== "edge-0" || w.sinceStart === undefined || w.sinceStart >= this.script.keepalivedAfter;
    if (!up) return "vrrp NONE inactive 0\n";
    const master = this.script.masters(w).includes(n);
    return `vrrp ${master ? "MASTER" : "BACKUP"} active ${master ? 1 : 0}\n`;
  }
  drop(): void {}
  close(): void {}
}

const outputs = {
  edgeInstanceIds: [IDS["edge-0"], IDS["edge-1"]],
  edgeEipAllocationId: "eipalloc-0123456789abcdef0",
  url: "http://203.0.113.99/",
};

/** edge-0 holds; after its stop edge-1 takes over at 1 s; what happens after the return is `after`. */
function pair(
  after: (sinceStart: number) => { eip: Name; masters: Name[] },
  keepalivedAfter = 20,
): PairScript {
  const phase = (w: PairWorld) =>
    w.sinceStop === undefined
      ? { eip: "edge-0" as Name, masters: ["edge-0" as Name] }
      : w.sinceStart === undefined
        ? w.sinceStop >= 1
          ? { eip: "edge-1" as Name, masters: ["edge-1" as Name] }
          : { eip: "edge-0" as Name, masters: [] as Name[] }
        : after(w.sinceStart);
  return { eip: (w) => phase(w).eip, masters: (w) => phase(w).masters, keepalivedAfter };
}

async function drill(script: PairScript) {
  const clock = new FakeClock();
  const p = new ScriptedPair(clock, script);
  const swarm = new ScriptedSwarm(clock, workerScript({}));
  const edge = new Ec2EdgeObserver(p, outputs, { runner: p });
  // The probe of the address would need a network: the takeover is the holder change here.
  const observer = Object.assign(edge, { answers: undefined });
  const r = await runDrill(swarm, p, {
    service: "was",
    target: "edge",
    edge: observer,
    clock,
    signals: null,
    pollMs: 500,
    deadlineSeconds: 30,
    rejoinDeadlineSeconds: 60,
  });
  return { r, p };
}

describe("Ec2EdgeObserver: VRRP over SSH as well as the EIP", () => {
  it("parses the VRRP read and sends one read-only command", () => {
    expect(parseVrrp("vrrp MASTER active 1\n")).toEqual({
      state: "MASTER",
      keepalivedUp: true,
      holdsMarker: true,
    });
    expect(parseVrrp("vrrp NONE inactive 0")).toEqual({
      state: "NONE",
      keepalivedUp: false,
      holdsMarker: false,
    });
    expect(() => parseVrrp("Permission denied")).toThrow(/unexpected VRRP read/);
    expect(VRRP_COMMAND).toContain("/run/swarm-ha-vrrp.state");
    expect(VRRP_COMMAND).toContain("127.0.0.100/");
    expect(VRRP_COMMAND).not.toContain("sudo");
  });

  it("passes a clean takeover; the window after the return starts once edge-0's keepalived is up, not at EC2 running", async () => {
    const { r } = await drill(pair(() => ({ eip: "edge-1", masters: ["edge-1"] })));
    expect(r.failures).toEqual([]);
    expect(r.passed).toBe(true);
    expect(r.takeoverSeconds).toBe(1);
    // EC2 says running at once; keepalived is up 20 s later: that is the rejoin.
    expect(r.rejoinSeconds).toBe(20);
    expect(r.holdersAfterReturn).toEqual(["edge-1"]);
  });

  it("FAILS when both balancers are VRRP MASTER after the return although the EIP has one holder", async () => {
    const { r } = await drill(pair(() => ({ eip: "edge-1", masters: ["edge-0", "edge-1"] })));
    expect(r.passed).toBe(false);
    expect(r.holdersAfterReturn).toEqual(["edge-0", "edge-1"]);
    expect(r.failures).toEqual([
      expect.stringMatching(
        /^split brain: after edge-0 returned, edge-0 and edge-1 held the floating address/,
      ),
    ]);
  });

  it("FAILS a pair that flaps after the return: the EIP and MASTER move every second, one holder at a time", async () => {
    const flap = (t: number): { eip: Name; masters: Name[] } =>
      Math.floor(t) % 2
        ? { eip: "edge-0", masters: ["edge-0"] }
        : { eip: "edge-1", masters: ["edge-1"] };
    const { r } = await drill(pair(flap));
    expect(r.passed).toBe(false);
    expect(r.singleHolderWithinSeconds).toBeNull();
    expect(r.failures.some((f) => f.startsWith("split brain: after edge-0 returned"))).toBe(true);
  });

  it("without SSH (EIP only) the same double MASTER would pass: why the observer reads keepalived", async () => {
    const clock = new FakeClock();
    const p = new ScriptedPair(
      clock,
      pair(() => ({ eip: "edge-1", masters: ["edge-0", "edge-1"] })),
    );
    const eipOnly = new Ec2EdgeObserver(p, outputs);
    expect(await eipOnly.holders()).toEqual(["edge-0"]);
    const withSsh = new Ec2EdgeObserver(p, outputs, { runner: p });
    expect(await withSsh.holders()).toEqual(["edge-0"]);
    p.stopAt = clock.now() - 30_000;
    p.startAt = clock.now() - 25_000;
    expect(await eipOnly.holders()).toEqual(["edge-1"]);
    expect(await withSsh.holders()).toEqual(["edge-0", "edge-1"]);
  });
});
