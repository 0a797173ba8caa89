/**
 * keepalived renderers: snapshots, `keepalived -t` on both flavours, `shellcheck` and real runs of
 * the notify script against a fake IMDSv2 endpoint and a fake AWS CLI, cloud-init schema of the
 * pair's user data.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderEdgeUserData } from "../../renderers/cloudInit";
import {
  HOLDER_MARKER_ADDRESS,
  KEEPALIVED_PATHS,
  KeepalivedModel,
  KEEPALIVED_TUNING,
  renderEdgePairUserData,
  renderKeepalivedConf,
  renderKeepalivedDropIn,
  renderNotifyScript,
} from "../../renderers/keepalived";
import { assertValid, cloudInitSchema, keepalivedTest, shellcheck } from "../validators";

const LAB_PRIMARY: KeepalivedModel = {
  nodeName: "lab-edge-0",
  role: "primary",
  interface: "eth0",
  selfIp: "172.28.0.10",
  peerIp: "172.28.0.11",
  floating: { kind: "vip", address: "172.28.0.100/24" },
};
const LAB_STANDBY: KeepalivedModel = {
  ...LAB_PRIMARY,
  nodeName: "lab-edge-1",
  role: "standby",
  selfIp: "172.28.0.11",
  peerIp: "172.28.0.10",
};
const AWS_PRIMARY: KeepalivedModel = {
  nodeName: "edge-0",
  role: "primary",
  interface: "ens5",
  selfIp: "10.43.128.10",
  peerIp: "10.43.129.10",
  floating: { kind: "eip" },
};

/**
 * `keepalived -t` rejects an interface the host lacks, so the validation run renders for one this
 * machine has (eth0 in CI containers); the interface is the only thing that differs.
 */
function hostInterface(): string {
  const names = readdirSync("/sys/class/net").filter((n) => n !== "lo");
  return names.includes("eth0") ? "eth0" : names.sort()[0];
}

const block = (conf: string, name: string) =>
  new RegExp(`${name} \\{([\\s\\S]*?)\\n  \\}`).exec(conf)?.[1] ?? "";

describe("renderKeepalivedConf", () => {
  // it.for (not it.each) hands the test context to the callback, so a missing validator can skip.
  it.for<[string, KeepalivedModel]>([
    ["lab primary", LAB_PRIMARY],
    ["lab standby", LAB_STANDBY],
    ["AWS primary", AWS_PRIMARY],
    [
      "AWS standby",
      {
        ...AWS_PRIMARY,
        nodeName: "edge-1",
        role: "standby",
        selfIp: "10.43.129.10",
        peerIp: "10.43.128.10",
      },
    ],
  ])("passes keepalived -t: %s", ([what, model], ctx) => {
    const conf = renderKeepalivedConf({ ...model, interface: hostInterface() });
    assertValid(`keepalived.conf (${what})`, keepalivedTest(ctx, conf));
  });

  it("is really checked: keepalived -t rejects what it should (an interface the host lacks)", (ctx) => {
    const r = keepalivedTest(ctx, renderKeepalivedConf({ ...LAB_PRIMARY, interface: "nosuchif9" }));
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/nosuchif9|[Nn]on-existent interface/);
  });

  it.each([
    ["lab-primary", LAB_PRIMARY],
    ["lab-standby", LAB_STANDBY],
    ["aws-primary", AWS_PRIMARY],
  ])("matches the committed snapshot (%s)", async (name, model) => {
    await expect(renderKeepalivedConf(model)).toMatchFileSnapshot(
      `__snapshots__/keepalived.${name}.conf`,
    );
  });

  it("peers the pair with unicast adverts, each node naming the other", () => {
    const a = renderKeepalivedConf(LAB_PRIMARY);
    const b = renderKeepalivedConf(LAB_STANDBY);
    expect(a).toContain("unicast_src_ip 172.28.0.10\n");
    expect(block(a, "unicast_peer").trim()).toBe("172.28.0.11");
    expect(b).toContain("unicast_src_ip 172.28.0.11\n");
    expect(block(b, "unicast_peer").trim()).toBe("172.28.0.10");
    for (const c of [a, b]) {
      expect(c).toContain("virtual_router_id 51\n");
      expect(c).toContain(`advert_int ${KEEPALIVED_TUNING.advertIntSeconds}\n`);
      expect(c).not.toMatch(/mcast|vrrp_strict/);
    }
  });

  it("starts both nodes BACKUP with nopreempt; priority only orders the first election", () => {
    const a = renderKeepalivedConf(LAB_PRIMARY);
    const b = renderKeepalivedConf(LAB_STANDBY);
    for (const c of [a, b]) {
      expect(c).toMatch(/^\s+state BACKUP$/m);
      expect(c).toMatch(/^\s+nopreempt$/m);
      expect(c).not.toMatch(/state MASTER/);
    }
    expect(a).toMatch(/^\s+priority 150$/m);
    expect(b).toMatch(/^\s+priority 100$/m);
  });

  it("demotes a node whose nginx does not answer: curl of the health URL, as root, script security on", () => {
    const c = renderKeepalivedConf(LAB_PRIMARY);
    expect(block(c, "global_defs")).toMatch(/script_user root\n\s+enable_script_security/);
    const check = block(c, "vrrp_script chk_nginx");
    expect(check).toContain(
      `script "/usr/bin/sh -c '[ -e ${KEEPALIVED_PATHS.drainFlag} ] || exec /usr/bin/curl -fsS --max-time 1 -o /dev/null http://127.0.0.1/nginx-health'"`,
    );
    expect(check).toContain(`fall ${KEEPALIVED_TUNING.checkFall}`);
    expect(check).toContain(`rise ${KEEPALIVED_TUNING.checkRise}`);
    // No weight: a failing check means FAULT (priority 0 advert), not a lower priority that a
    // nopreempt peer would ignore. No per-script user (keepalived 2.2.7 -t dies on it), no pgrep.
    expect(check).not.toMatch(/weight|user |pgrep/);
    expect(c).not.toContain("track_process");
    expect(block(c, "track_script").trim()).toBe("chk_nginx");
    expect(
      renderKeepalivedConf({ ...LAB_PRIMARY, healthUrl: "http://127.0.0.1:8081/lb-health" }),
    ).toContain("-o /dev/null http://127.0.0.1:8081/lb-health'\"");
  });

  describe("the health check, run the way keepalived runs it", () => {
    let dir: string;
    let server: Server | undefined;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "ka-check-"));
    });
    afterEach(async () => {
      if (server) await new Promise((r) => server!.close(r));
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    });
    /** keepalived's argv rule (keepalived.conf(5)): unquoted spaces split, single quotes group. */
    function checkArgv(conf: string): string[] {
      const script = /script "([^"]*)"/.exec(block(conf, "vrrp_script chk_nginx"))![1];
      return [...script.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    }
    function runCheck(conf: string): Promise<number> {
      const [cmd, ...args] = checkArgv(conf);
      return new Promise((resolve) =>
        spawn(cmd, args, { stdio: "ignore" }).on("close", (code) => resolve(code ?? -1)),
      );
    }
    async function healthServer(): Promise<string> {
      server = createServer((_req, res) => res.end("ok\n"));
      await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/nginx-health`;
    }

    it("fails when nginx does not answer and the node is not draining (the case that must FAIL)", async (ctx) => {
      if (!existsSync("/usr/bin/curl")) ctx.skip();
      // A port nothing listens on: bind, read the port, close.
      const url = await healthServer();
      await new Promise((r) => server!.close(r));
      server = undefined;
      const conf = renderKeepalivedConf({
        ...LAB_PRIMARY,
        healthUrl: url,
        drainFlag: join(dir, "draining"),
      });
      expect(await runCheck(conf)).not.toBe(0);
    });

    it("passes when nginx answers", async (ctx) => {
      if (!existsSync("/usr/bin/curl")) ctx.skip();
      const conf = renderKeepalivedConf({
        ...LAB_PRIMARY,
        healthUrl: await healthServer(),
        drainFlag: join(dir, "draining"),
      });
      expect(await runCheck(conf)).toBe(0);
    });

    it("passes while the drain flag exists although nginx no longer answers (the address stays until the drain ends)", async () => {
      const flag = join(dir, "draining");
      writeFileSync(flag, "");
      const conf = renderKeepalivedConf({
        ...LAB_PRIMARY,
        healthUrl: "http://127.0.0.1:9/nginx-health",
        drainFlag: flag,
      });
      expect(await runCheck(conf)).toBe(0);
    });
  });

  it("runs the VRRP process ahead of busy processes and never swapped out", () => {
    const g = block(renderKeepalivedConf(AWS_PRIMARY), "global_defs");
    expect(g).toContain(`vrrp_priority ${KEEPALIVED_TUNING.vrrpNice}\n`);
    expect(g).toContain("vrrp_no_swap");
    expect(KEEPALIVED_TUNING.vrrpNice).toBeLessThan(0);
  });

  it("puts the lab's floating IP on the interface, and only a loopback holder marker on AWS", () => {
    expect(block(renderKeepalivedConf(LAB_PRIMARY), "virtual_ipaddress").trim()).toBe(
      "172.28.0.100/24 dev eth0",
    );
    expect(block(renderKeepalivedConf(AWS_PRIMARY), "virtual_ipaddress").trim()).toBe(
      `${HOLDER_MARKER_ADDRESS} dev lo`,
    );
  });

  it("calls the notify script with the state on every transition", () => {
    const c = renderKeepalivedConf(AWS_PRIMARY);
    for (const state of ["MASTER", "BACKUP", "FAULT"]) {
      expect(c).toContain(
        `notify_${state.toLowerCase()} "${KEEPALIVED_PATHS.notifyScript} ${state}"`,
      );
    }
  });

  it("speaks VRRPv3 with sub-second adverts: the standby declares a dead holder within 0.5 s", () => {
    const c = renderKeepalivedConf(LAB_PRIMARY);
    expect(c).toMatch(/global_defs \{[^}]*\n\s+vrrp_version 3\n/);
    expect(c).not.toMatch(/auth_type|auth_pass/); // VRRPv3 has no authentication
    const t = KEEPALIVED_TUNING;
    const masterDown = (priority: number) =>
      3 * t.advertIntSeconds + ((256 - priority) / 256) * t.advertIntSeconds;
    // Before a client's second TCP retransmission (0.6 s after a request sent to the dead holder).
    expect(masterDown(t.standbyPriority)).toBeLessThan(0.5);
    expect(masterDown(t.primaryPriority)).toBeLessThan(masterDown(t.standbyPriority));
  });

  it("keepalived -t takes the sub-second interval as is (VRRPv2 would round it up to 1 s)", (ctx) => {
    const conf = renderKeepalivedConf({ ...LAB_PRIMARY, interface: hostInterface() });
    const v3 = keepalivedTest(ctx, conf);
    expect(v3.output).not.toMatch(/rounding|must be an integer/);
    // The scripted case: the same file as VRRPv2 makes keepalived round, and the check above sees it.
    const v2 = keepalivedTest(ctx, conf.replace("vrrp_version 3", "vrrp_version 2"));
    expect(v2.output).toMatch(/rounding|must be an integer/);
  });

  it.each<[string, Partial<KeepalivedModel>, RegExp]>([
    ["the node as its own peer", { peerIp: "172.28.0.10" }, /peerIp must differ from selfIp/],
    ["a malformed peer", { peerIp: "172.28.0.256" }, /peerIp must be an IPv4 address/],
    ["a leading-zero octet", { selfIp: "172.28.0.010" }, /selfIp must be an IPv4 address/],
    ["router id 0", { virtualRouterId: 0 }, /virtualRouterId must be an integer 1-255/],
    ["router id 256", { virtualRouterId: 256 }, /virtualRouterId/],
    ["loopback as the VRRP interface", { interface: "lo" }, /interface must be a non-loopback/],
    ["directive injection in the interface", { interface: "eth0\n}" }, /interface/],
    ["a quote in the health URL", { healthUrl: 'http://127.0.0.1/x" ; reboot' }, /healthUrl/],
    ["an https health URL", { healthUrl: "https://127.0.0.1/nginx-health" }, /healthUrl/],
    [
      "a VIP without prefix",
      { floating: { kind: "vip", address: "172.28.0.100" } },
      /floating.address/,
    ],
    [
      "a VIP that is a node's address",
      { floating: { kind: "vip", address: "172.28.0.11/24" } },
      /floating.address must differ/,
    ],
    [
      "a relative notify script",
      { notifyScript: "notify.sh" },
      /notifyScript must be an absolute path/,
    ],
    [
      "a drain flag with a quote",
      { drainFlag: "/run/x' ; reboot" },
      /drainFlag must be an absolute path/,
    ],
    ["an unknown role", { role: "leader" as never }, /role must be/],
  ])("refuses %s", (_what, change, message) => {
    expect(() => renderKeepalivedConf({ ...LAB_PRIMARY, ...change })).toThrow(message);
  });
});

describe("renderNotifyScript", () => {
  it("passes shellcheck (lab and AWS flavours)", (ctx) => {
    assertValid("lab notify script", shellcheck(ctx, renderNotifyScript()));
    assertValid(
      "AWS notify script",
      shellcheck(ctx, renderNotifyScript({ eip: { allocationId: "eipalloc-0123456789abcdef0" } })),
    );
  });

  it("matches the committed snapshots", async () => {
    await expect(renderNotifyScript()).toMatchFileSnapshot(
      "__snapshots__/keepalived-notify.lab.sh",
    );
    await expect(
      renderNotifyScript({ eip: { allocationId: "eipalloc-0123456789abcdef0" } }),
    ).toMatchFileSnapshot("__snapshots__/keepalived-notify.aws.sh");
  });

  it.each<[string, object, RegExp]>([
    ["an allocation id that is not one", { allocationId: "eip-123; reboot" }, /eip.allocationId/],
    ["zero attempts", { allocationId: "eipalloc-1", attempts: 0 }, /eip.attempts/],
    ["a relative AWS CLI", { allocationId: "eipalloc-1", awsCli: "aws" }, /eip.awsCli/],
    [
      "an IMDS URL with a path",
      { allocationId: "eipalloc-1", imdsEndpoint: "http://169.254.169.254/latest" },
      /imdsEndpoint/,
    ],
  ])("refuses %s", (_what, eip, message) => {
    expect(() => renderNotifyScript({ eip: eip as never })).toThrow(message);
  });
});

/**
 * Runs the rendered notify script for real: IMDSv2 is a local HTTP server that refuses metadata
 * calls without the token it handed out, the AWS CLI is a shell script that logs its arguments and
 * answers like the real one.
 */
describe("notify script, executed", () => {
  const TOKEN = "AQAEAMockTokenValue==";
  const SELF = "i-0aaaaaaaaaaaaaaa1";
  let dir = "";
  let server: Server;
  let imds = "";
  let imdsLog: string[] = [];

  const FAKE_AWS = `#!/bin/sh
d="$FAKE_AWS_DIR"
printf '%s\\n' "$*" >> "$d/calls.log"
case "$2" in
  describe-addresses) cat "$d/holder" ;;
  associate-address)
    case "$*" in
      *--dry-run*)
        if [ -e "$d/unauthorized" ]; then
          echo "An error occurred (UnauthorizedOperation) when calling the AssociateAddress operation: You are not authorized" >&2; exit 254
        fi
        echo "An error occurred (DryRunOperation) when calling the AssociateAddress operation: Request would have succeeded" >&2; exit 254 ;;
    esac
    n=$(cat "$d/failures" 2>/dev/null || echo 0)
    if [ "$n" -gt 0 ]; then
      echo $((n - 1)) > "$d/failures"
      echo "An error occurred (RequestLimitExceeded) when calling the AssociateAddress operation" >&2; exit 254
    fi
    echo "eipassoc-0123" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 64 ;;
esac
`;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "swarm-ha-notify-"));
    writeFileSync(join(dir, "aws"), FAKE_AWS);
    chmodSync(join(dir, "aws"), 0o755);
    writeFileSync(join(dir, "holder"), "i-0bbbbbbbbbbbbbbb2\n");
    imdsLog = [];
    server = createServer((req, res) => {
      imdsLog.push(`${req.method} ${req.url}`);
      if (req.method === "PUT" && req.url === "/latest/api/token") {
        if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"])
          return void res.writeHead(400).end();
        return void res.writeHead(200).end(TOKEN);
      }
      if (req.headers["x-aws-ec2-metadata-token"] !== TOKEN) return void res.writeHead(401).end();
      const answers: Record<string, string> = {
        "/latest/meta-data/instance-id": SELF,
        "/latest/meta-data/placement/region": "eu-west-1",
      };
      const a = answers[req.url ?? ""];
      if (a === undefined) return void res.writeHead(404).end();
      res.writeHead(200).end(a);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    imds = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  function script(attempts = 3): string {
    const path = join(dir, "notify.sh");
    writeFileSync(
      path,
      renderNotifyScript({
        stateFile: join(dir, "state"),
        eip: {
          allocationId: "eipalloc-0123456789abcdef0",
          attempts,
          retryDelaySeconds: 0,
          awsCli: join(dir, "aws"),
          imdsEndpoint: imds,
        },
      }),
    );
    chmodSync(path, 0o755);
    return path;
  }

  /** Async, so the in-process IMDS server can answer while the script runs. */
  function run(path: string, arg: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const p = spawn(path, [arg], { env: { FAKE_AWS_DIR: dir } });
      let stderr = "";
      p.stderr.on("data", (b) => (stderr += String(b)));
      p.on("close", (code) => resolve({ code, stderr }));
    });
  }

  const awsCalls = () =>
    existsSync(join(dir, "calls.log"))
      ? readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n")
      : [];

  it("on MASTER moves the Elastic IP to this instance, using IMDSv2 tokens", async () => {
    const r = await run(script(), "MASTER");
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "state"), "utf8")).toBe("MASTER\n");
    expect(awsCalls()).toEqual([
      "ec2 describe-addresses --region eu-west-1 --allocation-ids eipalloc-0123456789abcdef0 --query Addresses[0].InstanceId --output text",
      `ec2 associate-address --region eu-west-1 --allocation-id eipalloc-0123456789abcdef0 --instance-id ${SELF} --allow-reassociation --output text`,
    ]);
    // Every metadata read came after a token request, and none was refused.
    expect(imdsLog.filter((l) => l.startsWith("GET"))).toEqual([
      "GET /latest/meta-data/instance-id",
      "GET /latest/meta-data/placement/region",
    ]);
    expect(imdsLog.filter((l) => l === "PUT /latest/api/token")).toHaveLength(2);
    expect(r.stderr).toContain(
      `moved eipalloc-0123456789abcdef0 from i-0bbbbbbbbbbbbbbb2 to ${SELF}`,
    );
  });

  it("retries a refused association and succeeds within the attempts", async () => {
    writeFileSync(join(dir, "failures"), "2");
    const r = await run(script(3), "MASTER");
    expect(r.code, r.stderr).toBe(0);
    expect(awsCalls().filter((c) => c.includes("associate-address"))).toHaveLength(3);
    expect(r.stderr).toContain("associate-address: attempt 2/3 failed");
  });

  it("gives up after the attempts with a non-zero exit and a log line", async () => {
    writeFileSync(join(dir, "failures"), "9");
    const r = await run(script(3), "MASTER");
    expect(r.code).toBe(1);
    expect(awsCalls().filter((c) => c.includes("associate-address"))).toHaveLength(3);
    expect(r.stderr).toContain("could not move eipalloc-0123456789abcdef0");
  });

  it("does not re-associate an address already on this instance (EC2 may charge every remap)", async () => {
    writeFileSync(join(dir, "holder"), `${SELF}\n`);
    const r = await run(script(), "MASTER");
    expect(r.code, r.stderr).toBe(0);
    expect(awsCalls().filter((c) => c.includes("associate-address"))).toEqual([]);
    expect(r.stderr).toContain("already on");
  });

  it.each(["BACKUP", "FAULT"])(
    "on %s records the state and calls neither IMDS nor AWS",
    async (state) => {
      const r = await run(script(), state);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(dir, "state"), "utf8")).toBe(`${state}\n`);
      expect(awsCalls()).toEqual([]);
      expect(imdsLog).toEqual([]);
    },
  );

  it("check: a dry run that passes only when the role allows the association", async () => {
    const ok = await run(script(), "check");
    expect(ok.code, ok.stderr).toBe(0);
    expect(awsCalls().at(-1)).toContain("--dry-run");
    expect(existsSync(join(dir, "state"))).toBe(false);
    writeFileSync(join(dir, "unauthorized"), "");
    const denied = await run(script(), "check");
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("UnauthorizedOperation");
  });

  it("refuses an unknown state", async () => {
    const r = await run(script(), "PROMOTE");
    expect(r.code).toBe(2);
    expect(awsCalls()).toEqual([]);
  });

  it("the lab flavour only records the state", async () => {
    const path = join(dir, "lab-notify.sh");
    writeFileSync(path, renderNotifyScript({ stateFile: join(dir, "state") }));
    chmodSync(path, 0o755);
    const r = await run(path, "MASTER");
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "state"), "utf8")).toBe("MASTER\n");
    expect(imdsLog).toEqual([]);
    expect((await run(path, "check")).code).toBe(2);
  });
});

describe("renderEdgePairUserData", () => {
  it("passes cloud-init schema and matches the committed snapshot", async (ctx) => {
    const ud = renderEdgePairUserData({ hostname: "edge-0" });
    assertValid("pair user data", cloudInitSchema(ctx, ud));
    await expect(ud).toMatchFileSnapshot("__snapshots__/cloud-init.edge-pair.yaml");
  });

  it("adds keepalived, curl, the AWS CLI snap and the systemd drop-in to the single balancer's user data", () => {
    const ud = renderEdgePairUserData({ hostname: "edge-1" });
    expect(ud.startsWith("#cloud-config\n")).toBe(true);
    expect(ud).toMatch(/packages:\n\s+- nginx\n\s+- keepalived\n\s+- curl\n/);
    expect(ud).toMatch(/- snap\n\s+- install\n\s+- aws-cli\n\s+- --classic/);
    expect(ud).toContain(`path: ${KEEPALIVED_PATHS.systemdDropIn}`);
    expect(ud).toContain("Restart=on-failure");
    expect(ud).toContain("hostname: edge-1");
    // What a single balancer gets is untouched.
    expect(renderEdgeUserData({ hostname: "edge-1" })).not.toMatch(/keepalived|snap/);
  });

  it("the drop-in orders keepalived after nginx and restarts it", () => {
    expect(renderKeepalivedDropIn()).toMatch(
      /\[Unit\]\nAfter=nginx.service[\s\S]*\[Service\]\nRestart=on-failure/,
    );
  });
});
