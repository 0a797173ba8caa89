import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  heartbeatDuration,
  MIN_HEARTBEAT_SECONDS,
  NODE_ZONE_LABEL,
  renderJoinTokenRead,
  renderNodeLabels,
  renderSwarmInit,
  renderSwarmJoin,
  renderSwarmPrune,
} from "../../renderers/swarmBootstrap";
import { ZONE_LABEL } from "../../renderers/serviceSpec";
import { assertValid, shellcheck } from "../validators";

const WORKER_TOKEN =
  "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx";
const MANAGER_TOKEN =
  "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2";

/**
 * A fake `docker` (and `sudo`) on PATH that keeps swarm membership in a state directory and logs
 * every call, one line per call with its arguments, so a test can run the rendered scripts for real.
 */
const FAKE_DOCKER = `#!/bin/sh
d="$FAKE_DOCKER_DIR"
printf '%s\\n' "$*" >> "$d/calls.log"
[ -e "$d/engine-down" ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
state=$(cat "$d/state")
case "$1 $2" in
  "info ")
    exit 0 ;;
  "info --format")
    case "$3" in
      "{{.Swarm.LocalNodeState}}") echo "$state" ;;
      "{{.Swarm.NodeID}}") if [ "$state" = active ]; then cat "$d/node-id"; else echo; fi ;;
      "{{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}") cat "$d/managers" ;;
      *) echo "fake docker: unexpected format $3" >&2; exit 64 ;;
    esac ;;
  "swarm init")
    [ "$state" = active ] && { echo "Error response from daemon: This node is already part of a swarm." >&2; exit 1; }
    echo active > "$d/state"; echo "mgr0nodeid" > "$d/node-id"; echo "Swarm initialized" ;;
  "swarm update")
    [ "$state" = active ] || { echo "Error response from daemon: This node is not a swarm manager." >&2; exit 1; }
    echo "Swarm updated." ;;
  "swarm join-token")
    [ "$state" = active ] || { echo "Error response from daemon: This node is not a swarm manager." >&2; exit 1; }
    [ "$3" = "-q" ] || { echo "fake docker: expected -q" >&2; exit 64; }
    case "$4" in worker) echo "${WORKER_TOKEN}" ;; manager) echo "${MANAGER_TOKEN}" ;; *) exit 64 ;; esac ;;
  "swarm join")
    [ "$state" = active ] && { echo "Error response from daemon: This node is already part of a swarm." >&2; exit 1; }
    [ "$3" = "--token" ] || { echo "fake docker: expected --token" >&2; exit 64; }
    printf '%s' "$4" > "$d/joined-with"
    echo active > "$d/state"; echo "wrk1nodeid" > "$d/node-id"; echo "This node joined a swarm as a worker." ;;
  "swarm leave")
    echo inactive > "$d/state"; echo "Node left the swarm." ;;
  "node ls")
    cat "$d/nodes" ;;
  "node inspect")
    cat "$d/inspect-$5" ;;
  "node update")
    printf '%s\\n' "$*" >> "$d/labels"; echo "$5" ;;
  "node demote"|"node rm")
    echo "$2 $*" >> "$d/removed"; echo ok ;;
  *)
    echo "fake docker: unexpected call: $*" >&2; exit 64 ;;
esac
`;

const FAKE_SUDO = `#!/bin/sh
printf 'sudo %s\\n' "$*" >> "$FAKE_DOCKER_DIR/calls.log"
exec "$@"
`;

let dir = "";

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "swarm-ha-fake-docker-"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "docker"), FAKE_DOCKER);
  writeFileSync(join(dir, "bin", "sudo"), FAKE_SUDO);
  chmodSync(join(dir, "bin", "docker"), 0o755);
  chmodSync(join(dir, "bin", "sudo"), 0o755);
  writeFileSync(join(dir, "state"), "inactive\n");
  writeFileSync(join(dir, "calls.log"), "");
  writeFileSync(join(dir, "managers"), "10.42.1.10:2377 \n");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setState(state: "inactive" | "active", nodeId = "existingnode"): void {
  writeFileSync(join(dir, "state"), `${state}\n`);
  writeFileSync(join(dir, "node-id"), `${nodeId}\n`);
}

/** Runs a rendered script with POSIX sh (dash on Debian), the fake docker first on PATH. */
function runScript(
  script: string,
  stdin = "",
): { status: number | null; stdout: string; stderr: string; calls: string[] } {
  const path = join(dir, "script.sh");
  writeFileSync(path, script);
  const r = spawnSync("/bin/sh", [path], {
    input: stdin,
    encoding: "utf8",
    timeout: 20_000,
    env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, FAKE_DOCKER_DIR: dir },
  });
  if (r.error) throw r.error;
  const calls = readFileSync(join(dir, "calls.log"), "utf8").split("\n").filter(Boolean);
  writeFileSync(join(dir, "calls.log"), "");
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

const swarmCalls = (calls: string[], verb: string): string[] =>
  calls.filter((c) => c.startsWith(`swarm ${verb}`));

const LABELLED = [
  { nodeId: "mgr0nodeid000000000000000", zone: "eu-west-1a" },
  { nodeId: "wrk1nodeid000000000000000", zone: "eu-west-1b" },
];

const initModel = { advertiseAddr: "10.42.1.10", dispatcherHeartbeatSeconds: 1 } as const;
const joinModel = {
  role: "worker",
  managerAddr: "10.42.1.10",
  advertiseAddr: "10.42.2.20",
} as const;

describe("swarm bootstrap scripts: shellcheck", () => {
  const scripts: Array<[string, string]> = [
    ["init", renderSwarmInit(initModel)],
    ["init (sudo)", renderSwarmInit({ ...initModel, sudo: true, engineWaitSeconds: 120 })],
    ["join-token worker", renderJoinTokenRead("worker")],
    ["join-token manager (sudo)", renderJoinTokenRead("manager", { sudo: true })],
    ["join worker", renderSwarmJoin(joinModel)],
    ["join manager (sudo)", renderSwarmJoin({ ...joinModel, role: "manager", sudo: true })],
    [
      "init with peer, cloud-init wait (sudo)",
      renderSwarmInit({
        ...initModel,
        peerManagerAddr: "10.42.2.11",
        sudo: true,
        waitForCloudInit: true,
      }),
    ],
    [
      "join-token probe",
      renderJoinTokenRead("manager", { onlyIfActive: true, waitForCloudInit: true }),
    ],
    ["prune (sudo)", renderSwarmPrune({ memberAddrs: ["10.42.1.10", "10.42.2.20"], sudo: true })],
    ["node labels (sudo)", renderNodeLabels({ nodes: LABELLED, sudo: true })],
  ];
  it.for(scripts)("%s is shellcheck-clean as POSIX sh", ([name, script], ctx) => {
    assertValid(`swarm ${name} script`, shellcheck(ctx, script));
  });

  it("shellcheck really flags a bad script (the validator is live)", (ctx) => {
    const bad = renderSwarmJoin(joinModel).replace('--token "$token"', "--token $token");
    const result = shellcheck(ctx, bad);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/SC2086/);
  });
});

describe("swarm bootstrap scripts: snapshots", () => {
  it("init", async () => {
    await expect(renderSwarmInit({ ...initModel, sudo: true })).toMatchFileSnapshot(
      "__snapshots__/swarm-init.sh",
    );
  });
  it("join-token read", async () => {
    await expect(renderJoinTokenRead("worker", { sudo: true })).toMatchFileSnapshot(
      "__snapshots__/swarm-join-token.sh",
    );
  });
  it("join", async () => {
    await expect(renderSwarmJoin({ ...joinModel, sudo: true })).toMatchFileSnapshot(
      "__snapshots__/swarm-join.sh",
    );
  });
});

describe("swarm init, executed against a fake docker", () => {
  it("initialises an inactive node and prints only its node ID", () => {
    const r = runScript(renderSwarmInit(initModel));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("mgr0nodeid\n");
    expect(swarmCalls(r.calls, "init")).toEqual([
      "swarm init --advertise-addr 10.42.1.10 --listen-addr 10.42.1.10:2377 --dispatcher-heartbeat 1s",
    ]);
    expect(swarmCalls(r.calls, "update")).toEqual(["swarm update --dispatcher-heartbeat 1s"]);
  });

  it("does not re-init an active swarm on a re-run, but re-applies the heartbeat", () => {
    expect(runScript(renderSwarmInit(initModel)).status).toBe(0);
    const again = runScript(renderSwarmInit({ ...initModel, dispatcherHeartbeatSeconds: 2 }));
    expect(again.status).toBe(0);
    expect(again.stdout).toBe("mgr0nodeid\n");
    expect(swarmCalls(again.calls, "init")).toEqual([]);
    expect(swarmCalls(again.calls, "update")).toEqual(["swarm update --dispatcher-heartbeat 2s"]);
  });

  it("runs every docker call through sudo when asked", () => {
    const r = runScript(renderSwarmInit({ ...initModel, sudo: true }));
    expect(r.status).toBe(0);
    const dockerCalls = r.calls.filter((c) => !c.startsWith("sudo "));
    const sudoCalls = r.calls.filter((c) => c.startsWith("sudo "));
    expect(sudoCalls).toHaveLength(dockerCalls.length);
    expect(sudoCalls.every((c) => c.startsWith("sudo docker "))).toBe(true);
  });

  it("fails with a clear message when the engine never answers", () => {
    writeFileSync(join(dir, "engine-down"), "");
    const r = runScript(renderSwarmInit({ ...initModel, engineWaitSeconds: 0 }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("docker engine did not answer within 0s");
    expect(swarmCalls(r.calls, "init")).toEqual([]);
  });
});

describe("join-token read, executed against a fake docker", () => {
  it("prints the token and nothing else", () => {
    setState("active");
    const worker = runScript(renderJoinTokenRead("worker"));
    expect(worker.status).toBe(0);
    expect(worker.stdout).toBe(`${WORKER_TOKEN}\n`);
    const manager = runScript(renderJoinTokenRead("manager"));
    expect(manager.stdout).toBe(`${MANAGER_TOKEN}\n`);
  });

  it("refuses on a node that is not in a swarm", () => {
    const r = runScript(renderJoinTokenRead("worker"));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("run the init step first");
  });
});

describe("swarm join, executed against a fake docker", () => {
  it("joins with the token read from standard input and prints the node ID", () => {
    const r = runScript(renderSwarmJoin(joinModel), `${WORKER_TOKEN}\n`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("wrk1nodeid\n");
    expect(swarmCalls(r.calls, "join")).toEqual([
      `swarm join --token ${WORKER_TOKEN} --advertise-addr 10.42.2.20 --listen-addr 10.42.2.20:2377 10.42.1.10:2377`,
    ]);
    expect(readFileSync(join(dir, "joined-with"), "utf8")).toBe(WORKER_TOKEN);
  });

  it("accepts a token without a trailing newline", () => {
    const r = runScript(renderSwarmJoin(joinModel), WORKER_TOKEN);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "joined-with"), "utf8")).toBe(WORKER_TOKEN);
  });

  it("exits 0 without joining (or reading a token) when already a member", () => {
    setState("active", "alreadyhere");
    const r = runScript(renderSwarmJoin(joinModel), "");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("alreadyhere\n");
    expect(swarmCalls(r.calls, "join")).toEqual([]);
    expect(existsSync(join(dir, "joined-with"))).toBe(false);
  });

  it("is idempotent: a second run does not double-join", () => {
    expect(runScript(renderSwarmJoin(joinModel), WORKER_TOKEN).status).toBe(0);
    const again = runScript(renderSwarmJoin(joinModel), WORKER_TOKEN);
    expect(again.status).toBe(0);
    expect(swarmCalls(again.calls, "join")).toEqual([]);
  });

  it.each([
    ["empty input", ""],
    ["not a swarm token", "hunter2\n"],
    ["token after junk", `x${WORKER_TOKEN}\n`],
  ])("refuses %s without calling docker swarm join", (_label, stdin) => {
    const r = runScript(renderSwarmJoin(joinModel), stdin);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("expected a swarm join token (SWMTKN-...) on standard input");
    expect(swarmCalls(r.calls, "join")).toEqual([]);
  });

  it("never carries a token in the script text", () => {
    for (const script of [
      renderSwarmJoin(joinModel),
      renderSwarmJoin({ ...joinModel, role: "manager", sudo: true }),
    ]) {
      expect(script).not.toMatch(/SWMTKN-1-/);
      // The only --token argument is the variable read from stdin.
      expect([...script.matchAll(/--token (\S+)/g)].map((m) => m[1])).toEqual(['"$token"']);
    }
    // The model has no field a token could be passed in.
    expect(Object.keys(joinModel).sort()).toEqual(["advertiseAddr", "managerAddr", "role"]);
  });
});

describe("address and number injection", () => {
  const bad = [
    "10.42.1.10; rm -rf /",
    "$(reboot)",
    "`id`",
    "10.42.1.10 --force-new-cluster",
    "10.42.1.10\nreboot",
    "-10.0.0.1",
    "10.42.1.256",
    "",
  ];
  it.each(bad)("init refuses advertiseAddr %j", (addr) => {
    expect(() => renderSwarmInit({ ...initModel, advertiseAddr: addr })).toThrow(
      /advertiseAddr must be an IPv4 address or host name/,
    );
  });
  it.each(bad)("join refuses managerAddr %j", (addr) => {
    expect(() => renderSwarmJoin({ ...joinModel, managerAddr: addr })).toThrow(/managerAddr/);
  });
  it.each(bad)("join refuses advertiseAddr %j", (addr) => {
    expect(() => renderSwarmJoin({ ...joinModel, advertiseAddr: addr })).toThrow(/advertiseAddr/);
  });

  it("accepts DNS names (the lab addresses nodes by container name)", () => {
    expect(
      renderSwarmJoin({
        ...joinModel,
        managerAddr: "lab-manager-1",
        advertiseAddr: "lab-worker-2",
      }),
    ).toContain("lab-manager-1:2377");
  });

  it("renders a fractional heartbeat in milliseconds and whole seconds as seconds (Go durations)", () => {
    expect(heartbeatDuration(0.5)).toBe("500ms");
    expect(heartbeatDuration(0.75)).toBe("750ms");
    expect(heartbeatDuration(1.25)).toBe("1250ms");
    expect(heartbeatDuration(1)).toBe("1s");
    expect(heartbeatDuration(5)).toBe("5s");
    const r = runScript(renderSwarmInit({ ...initModel, dispatcherHeartbeatSeconds: 0.75 }));
    expect(r.status).toBe(0);
    expect(swarmCalls(r.calls, "init")).toEqual([
      "swarm init --advertise-addr 10.42.1.10 --listen-addr 10.42.1.10:2377 --dispatcher-heartbeat 750ms",
    ]);
    expect(swarmCalls(r.calls, "update")).toEqual(["swarm update --dispatcher-heartbeat 750ms"]);
  });

  it("refuses a heartbeat below 0.5 s (swarm's ±0.5 s jitter could draw a zero period) or finer than 1 ms", () => {
    expect(MIN_HEARTBEAT_SECONDS).toBe(0.5);
    for (const bad of [0, 0.25, 0.499, -1, 0.5005, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => heartbeatDuration(bad), String(bad)).toThrow(
        /dispatcherHeartbeatSeconds must be a number of seconds >= 0.5/,
      );
    }
  });

  it("refuses non-integer or out-of-range seconds, which would be pasted into shell", () => {
    expect(() => renderSwarmInit({ ...initModel, dispatcherHeartbeatSeconds: 0 })).toThrow(
      /dispatcherHeartbeatSeconds/,
    );
    expect(() => renderSwarmInit({ ...initModel, dispatcherHeartbeatSeconds: 0.1 })).toThrow(
      /dispatcherHeartbeatSeconds/,
    );
    expect(() => renderSwarmInit({ ...initModel, dispatcherHeartbeatSeconds: Number.NaN })).toThrow(
      /dispatcherHeartbeatSeconds/,
    );
    expect(() => renderSwarmInit({ ...initModel, engineWaitSeconds: 1.5 })).toThrow(
      /engineWaitSeconds/,
    );
    expect(() => renderSwarmJoin({ ...joinModel, engineWaitSeconds: -1 })).toThrow(
      /engineWaitSeconds/,
    );
  });

  it("refuses an unknown role", () => {
    const role = "manager; reboot" as unknown as "worker";
    expect(() => renderJoinTokenRead(role)).toThrow(/role/);
    expect(() => renderSwarmJoin({ ...joinModel, role })).toThrow(/role/);
  });
});

describe("node replacement keeps one swarm (issue 11)", () => {
  const peerInit = { ...initModel, peerManagerAddr: "10.42.2.11" };

  it("a worker active in ANOTHER swarm leaves it and joins the right one (it used to exit 0)", () => {
    setState("active", "strayworker");
    writeFileSync(join(dir, "managers"), "10.99.0.1:2377 \n");
    const r = runScript(renderSwarmJoin(joinModel), `${WORKER_TOKEN}\n`);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("this node is in another swarm (managers: 10.99.0.1:2377 )");
    expect(swarmCalls(r.calls, "leave")).toEqual(["swarm leave --force"]);
    expect(swarmCalls(r.calls, "join")).toHaveLength(1);
    expect(readFileSync(join(dir, "joined-with"), "utf8")).toBe(WORKER_TOKEN);
  });

  it("a manager active in ANOTHER swarm stops with exit 3 and never leaves on its own", () => {
    setState("active", "straymanager");
    writeFileSync(join(dir, "managers"), "10.99.0.1:2377 10.99.0.2:2377 \n");
    const r = runScript(renderSwarmJoin({ ...joinModel, role: "manager" }), `${MANAGER_TOKEN}\n`);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("this manager is in another swarm");
    expect(swarmCalls(r.calls, "leave")).toEqual([]);
    expect(swarmCalls(r.calls, "join")).toEqual([]);
  });

  it("a member of the swarm of managerAddr exits 0 without leaving or joining", () => {
    setState("active", "member");
    writeFileSync(join(dir, "managers"), "10.42.2.11:2377 10.42.1.10:2377 \n");
    const r = runScript(renderSwarmJoin(joinModel), "");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("member\n");
    expect(swarmCalls(r.calls, "leave")).toEqual([]);
  });

  it("a replaced first manager joins the swarm of its peer instead of initialising a second one", () => {
    const r = runScript(renderSwarmInit(peerInit), `${MANAGER_TOKEN}\n`);
    expect(r.status).toBe(0);
    expect(swarmCalls(r.calls, "init")).toEqual([]);
    expect(swarmCalls(r.calls, "join")).toEqual([
      `swarm join --token ${MANAGER_TOKEN} --advertise-addr 10.42.1.10 --listen-addr 10.42.1.10:2377 10.42.2.11:2377`,
    ]);
  });

  it("with no peer swarm (empty probe) the first manager initialises; junk input is refused", () => {
    expect(swarmCalls(runScript(renderSwarmInit(peerInit), "").calls, "init")).toHaveLength(1);
    setState("inactive");
    const bad = runScript(renderSwarmInit(peerInit), "hunter2\n");
    expect(bad.status).toBe(2);
    expect(swarmCalls(bad.calls, "init")).toEqual([]);
  });

  it("the peer probe prints nothing and succeeds on a node outside any swarm, the token inside one", () => {
    const probe = renderJoinTokenRead("manager", { onlyIfActive: true });
    const outside = runScript(probe);
    expect(outside).toMatchObject({ status: 0, stdout: "" });
    setState("active");
    expect(runScript(probe).stdout).toBe(`${MANAGER_TOKEN}\n`);
  });

  it("waits for cloud-init before touching docker when asked", () => {
    writeFileSync(
      join(dir, "bin", "cloud-init"),
      `#!/bin/sh\nprintf 'cloud-init %s\\n' "$*" >> "$FAKE_DOCKER_DIR/calls.log"\n`,
    );
    chmodSync(join(dir, "bin", "cloud-init"), 0o755);
    const r = runScript(renderSwarmInit({ ...initModel, waitForCloudInit: true }));
    expect(r.status).toBe(0);
    expect(r.calls[0]).toBe("cloud-init status --wait");
    expect(
      runScript(renderSwarmInit(initModel)).calls.some((c) => c.startsWith("cloud-init")),
    ).toBe(false);
  });

  /** The swarm's members as the fake lists them: id -> `node inspect` line (state role addr managerAddr). */
  function members(lines: Record<string, string>): void {
    setState("active", "leader");
    writeFileSync(
      join(dir, "nodes"),
      Object.keys(lines)
        .map((id) => `${id}\n`)
        .join(""),
    );
    for (const [id, line] of Object.entries(lines))
      writeFileSync(join(dir, `inspect-${id}`), `${line}\n`);
  }
  /** Runs the prune keeping `addrs`; returns the IDs it printed, after checking its removal calls match. */
  function prune(addrs: string[], removed: { demoted: string[]; removed: string[] }): string[] {
    const r = runScript(renderSwarmPrune({ memberAddrs: addrs }));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const calls = existsSync(join(dir, "removed"))
      ? readFileSync(join(dir, "removed"), "utf8").split("\n").filter(Boolean)
      : [];
    expect(calls.filter((c) => c.startsWith("demote ")).map((c) => c.split(" ").pop())).toEqual(
      removed.demoted,
    );
    expect(calls.filter((c) => c.startsWith("rm ")).map((c) => c.split(" ").pop())).toEqual(
      removed.removed,
    );
    return r.stdout.split("\n").filter(Boolean);
  }

  it("prune demotes and removes members that are not current instances, never a current one", () => {
    members({
      leader: "ready manager 0.0.0.0 10.42.1.10:2377",
      oldmgr: "down manager 10.42.1.99 10.42.1.99:2377",
      w1: "ready worker 10.42.2.20 ",
      gone: "ready worker 10.42.2.77 ",
    });
    expect(
      prune(["10.42.1.10", "10.42.2.20"], { demoted: ["oldmgr"], removed: ["oldmgr", "gone"] }),
    ).toEqual(["oldmgr", "gone"]);
  });

  it("prune removes a Down member whose address a live member holds (a replacement given its predecessor's IP), never a Down member alone at a current address", () => {
    members({
      leader: "ready manager 0.0.0.0 10.42.1.10:2377",
      oldmgr1: "down manager 10.42.1.11 10.42.1.11:2377",
      newmgr1: "ready manager 0.0.0.0 10.42.1.11:2377",
      oldw1: "down worker 10.42.2.20 ",
      neww1: "ready worker 10.42.2.20 ",
      // Down and alone at its address: an unreachable node, perhaps coming back; kept.
      lostw2: "down worker 10.42.3.30 ",
    });
    const kept = ["10.42.1.10", "10.42.1.11", "10.42.2.20", "10.42.3.30"];
    expect(prune(kept, { demoted: ["oldmgr1"], removed: ["oldmgr1", "oldw1"] })).toEqual([
      "oldmgr1",
      "oldw1",
    ]);
  });

  it("prune refuses to run outside a swarm and needs at least one member address", () => {
    expect(runScript(renderSwarmPrune({ memberAddrs: ["10.42.1.10"] })).status).toBe(1);
    expect(() => renderSwarmPrune({ memberAddrs: [] })).toThrow(/memberAddrs/);
    expect(() => renderSwarmPrune({ memberAddrs: ["10.0.0.1; rm -rf /"] })).toThrow(/memberAddrs/);
  });
});

describe("renderNodeLabels: every member carries its availability zone", () => {
  it("labels each node with swarm-ha.zone=<zone>, the label the WAS spreads over", () => {
    expect(NODE_ZONE_LABEL).toBe(ZONE_LABEL);
    setState("active", "mgr0nodeid000000000000000");
    const r = runScript(renderNodeLabels({ nodes: LABELLED, sudo: true }));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      "mgr0nodeid000000000000000 eu-west-1a\nwrk1nodeid000000000000000 eu-west-1b\n",
    );
    expect(readFileSync(join(dir, "labels"), "utf8").split("\n").filter(Boolean)).toEqual([
      "node update --label-add swarm-ha.zone=eu-west-1a mgr0nodeid000000000000000",
      "node update --label-add swarm-ha.zone=eu-west-1b wrk1nodeid000000000000000",
    ]);
  });

  it("refuses to run outside a swarm, labelling nothing (must fail)", () => {
    const r = runScript(renderNodeLabels({ nodes: LABELLED }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not in a swarm/);
    expect(existsSync(join(dir, "labels"))).toBe(false);
  });

  it("refuses a model that would inject shell or label nothing", () => {
    expect(() => renderNodeLabels({ nodes: [] })).toThrow(/at least one member/);
    expect(() => renderNodeLabels({ nodes: [{ nodeId: "abc; rm -rf /", zone: "az-a" }] })).toThrow(
      /nodes\[\]\.nodeId must be a swarm node ID or name/,
    );
    expect(() =>
      renderNodeLabels({ nodes: [{ nodeId: LABELLED[0].nodeId, zone: "az a" }] }),
    ).toThrow(/nodes\[\]\.zone must be a zone name/);
  });
});
