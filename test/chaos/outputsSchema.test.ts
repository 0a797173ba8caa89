/**
 * Issue 24: the chaos CLI checks the whole --outputs document against one schema (and --target
 * against it) before EC2 or a lab is contacted: exit 2, the field named, nothing set up or refreshed.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { type CliDeps, main } from "../../chaos/cli";
import { runDrill } from "../../chaos/drill/core";
import {
  checkOutputsDocument,
  OutputsSchemaError,
  parseOutputsText,
} from "../../chaos/outputsSchema";

const FIXTURE_TEXT = fs.readFileSync(path.join(__dirname, "fixtures/outputs.json"), "utf8");
const fixture = (): Record<string, any> => JSON.parse(FIXTURE_TEXT);

/** Deps whose every contact with AWS, pulumi or a lab is recorded (and must not happen here). */
function deps(text: string) {
  const contacted: string[] = [];
  const err: string[] = [];
  const refuse = (what: string) => () => {
    contacted.push(what);
    throw new Error(`${what} must not be reached`);
  };
  const d: CliDeps = {
    readText: () => text,
    refreshOutputs: async () => refuse("EC2 (refreshOutputs)")(),
    pulumiOutputs: async () => refuse("pulumi")(),
    awsSetup: refuse("awsSetup"),
    awsEdgeSetup: refuse("awsEdgeSetup"),
    labSetup: async () => refuse("labSetup")(),
    labEdgeSetup: async () => refuse("labEdgeSetup")(),
    makeLoad: refuse("makeLoad"),
    runDrill,
    stdout: () => undefined,
    stderr: (s) => err.push(s),
  };
  return { d, contacted, err };
}

async function run(doc: unknown, target = "worker", raw?: string) {
  const { d, contacted, err } = deps(raw ?? JSON.stringify(doc));
  const code = await main(
    ["--outputs", "outputs.json", "--target", target, "--connections", "0"],
    d,
  );
  return { code, contacted, message: err.join("") };
}

const mutate = (f: (o: Record<string, any>) => void) => {
  const o = fixture();
  f(o);
  return o;
};

/** [label, document, --target, field the message must name, what it must say]. */
const BAD: Array<[string, unknown, string, string, RegExp]> = [
  [
    "two workers with one instance id",
    mutate((o) => (o.nodes[4].instanceId = o.nodes[3].instanceId)),
    "worker",
    "nodes[4].instanceId",
    /"i-0bbbbbbbbbbbbbbb1" is also nodes\[3\]\.instanceId; each node is one machine \(the drill would stop the wrong instance\)/,
  ],
  [
    "a worker with a manager's instance id",
    mutate((o) => (o.nodes[5].instanceId = o.nodes[0].instanceId)),
    "worker",
    "nodes[5].instanceId",
    /is also nodes\[0\]\.instanceId/,
  ],
  [
    "a balancer with a node's instance id",
    mutate((o) => (o.edgeInstanceIds = [o.nodes[2].instanceId])),
    "worker",
    "edgeInstanceIds[0]",
    /is also nodes\[2\]\.instanceId; a balancer is not a swarm node/,
  ],
  [
    "edgeInstanceIds that are not EC2 ids",
    mutate((o) => (o.edgeInstanceIds = ["bogus", "also bogus"])),
    "worker",
    "edgeInstanceIds[0]",
    /must be an EC2 instance id like i-0123456789abcdef0 \(got "bogus"\)/,
  ],
  [
    "two equal edgeInstanceIds",
    mutate((o) => (o.edgeInstanceIds = ["i-0ccccccccccccccc1", "i-0ccccccccccccccc1"])),
    "edge",
    "edgeInstanceIds[1]",
    /is also edgeInstanceIds\[0\]/,
  ],
  [
    "edgeInstanceIds not a list",
    mutate((o) => (o.edgeInstanceIds = "i-0ccccccccccccccc1")),
    "worker",
    "edgeInstanceIds",
    /must be a list of EC2 instance ids/,
  ],
  [
    "an instance id of 12 hex digits",
    mutate((o) => (o.nodes[1].instanceId = "i-0123456789ab")),
    "worker",
    "nodes[1].instanceId",
    /must be an EC2 instance id/,
  ],
  [
    "two nodes with one private address",
    mutate((o) => (o.nodes[3].privateIp = o.nodes[0].privateIp)),
    "worker",
    "nodes[3].privateIp",
    /is also nodes\[0\]\.privateIp/,
  ],
  [
    "replicas -1",
    mutate((o) => (o.replicas = -1)),
    "worker",
    "replicas",
    /must be a whole number of replicas, 1 or more \(got -1\)/,
  ],
  ["replicas 0", mutate((o) => (o.replicas = 0)), "worker", "replicas", /1 or more \(got 0\)/],
  ["replicas 2.5", mutate((o) => (o.replicas = 2.5)), "worker", "replicas", /\(got 2\.5\)/],
  ["replicas as text", mutate((o) => (o.replicas = "3")), "worker", "replicas", /\(got "3"\)/],
  [
    "a public address with a shell command",
    mutate((o) => (o.nodes[0].publicIp = "not-an-ip; rm -rf /")),
    "worker",
    "nodes[0].publicIp",
    /must be an IPv4 address like 203\.0\.113\.21 \(got "not-an-ip; rm -rf \/"\)/,
  ],
  [
    "a private address with an octet over 255",
    mutate((o) => (o.nodes[2].privateIp = "10.42.1.300")),
    "worker",
    "nodes[2].privateIp",
    /must be an IPv4 address/,
  ],
  [
    "a private address with leading zeros",
    mutate((o) => (o.nodes[2].privateIp = "10.042.1.13")),
    "worker",
    "nodes[2].privateIp",
    /must be an IPv4 address/,
  ],
  [
    "managerAddress $(reboot)",
    mutate((o) => (o.managerAddress = "$(reboot)")),
    "worker",
    "managerAddress",
    /must be an IPv4 address .*\(got "\$\(reboot\)"\)/,
  ],
  [
    "a manager address that is a host name",
    mutate((o) => (o.managerAddresses[1] = "evil.example.com")),
    "worker",
    "managerAddresses[1]",
    /must be an IPv4 address/,
  ],
  [
    "managerAddress outside managerAddresses",
    mutate((o) => (o.managerAddress = "203.0.113.99")),
    "worker",
    "managerAddress",
    /is not among managerAddresses/,
  ],
  [
    "a url that does not parse",
    mutate((o) => (o.url = "http://[203.0.113.10")),
    "worker",
    "url",
    /"http:\/\/\[203\.0\.113\.10" is not a URL \(Invalid URL\)/,
  ],
  [
    "a url that is not http",
    mutate((o) => (o.url = "file:///etc/passwd")),
    "worker",
    "url",
    /is not an http\(s\) URL/,
  ],
  [
    "a region with a newline",
    mutate((o) => (o.region = "eu-west-1\n")),
    "worker",
    "region",
    /must be an AWS region like eu-west-1 \(got "eu-west-1\\n"\)/,
  ],
  [
    "no manager among the nodes",
    mutate((o) => (o.nodes = o.nodes.filter((n: any) => n.role === "worker"))),
    "worker",
    "nodes",
    /has no manager/,
  ],
  [
    "a node that is not an object",
    mutate((o) => (o.nodes[1] = "m2")),
    "worker",
    "nodes[1]",
    /must be an object/,
  ],
  [
    "a bad role",
    mutate((o) => (o.nodes[1].role = "leader")),
    "worker",
    "nodes[1].role",
    /"manager" or "worker"/,
  ],
  [
    "a node name with a space",
    mutate((o) => (o.nodes[1].name = "swarm worker")),
    "worker",
    "nodes[1].name",
    /must be a host name/,
  ],
  [
    "a swarm node id that is not text",
    mutate((o) => (o.nodes[1].swarmNodeId = 7)),
    "worker",
    "nodes[1].swarmNodeId",
    /must be a swarm node id/,
  ],
  [
    "a malformed EIP allocation id",
    mutate((o) => (o.edgeEipAllocationId = "eip-1")),
    "worker",
    "edgeEipAllocationId",
    /Elastic IP allocation id/,
  ],
  [
    "a hidden key",
    mutate((o) => (o.sshPrivateKey = "[secret]")),
    "worker",
    "sshPrivateKey",
    /is a hidden secret/,
  ],
  ["no vpcId", mutate((o) => delete o.vpcId), "worker", "vpcId", /is missing/],
  [
    "stackTags without a stack",
    mutate((o) => delete o.stackTags.stack),
    "worker",
    "stackTags.stack",
    /is missing/,
  ],
  [
    "an sshUser of 40 characters",
    mutate((o) => (o.sshUser = "u".repeat(40))),
    "worker",
    "sshUser",
    /must be a login name/,
  ],
  ["a list instead of an object", [fixture()], "worker", "(root)", /must be a JSON object/],
  [
    "an unknown node as --target",
    fixture(),
    "swarm-ha-dev-worker-9",
    "nodes",
    /--target "swarm-ha-dev-worker-9" is not a node of this stack; use worker, manager, edge, az:<zone> or one of swarm-ha-dev-manager-1,/,
  ],
  [
    "a zone of another region as --target",
    fixture(),
    "az:us-east-1a",
    "region",
    /--target az:us-east-1a: "us-east-1a" is not a zone of the stack's region eu-west-1; use e\.g\. --target az:eu-west-1a/,
  ],
];

describe("chaos --outputs: the whole document against one schema, before anything is contacted", () => {
  it.each(BAD)("%s: exit 2, the field named", async (_label, doc, target, field, why) => {
    const { code, contacted, message } = await run(doc, target);
    expect(contacted).toEqual([]);
    expect(code).toBe(2);
    expect(
      message.startsWith(
        `chaos: bad stack outputs (nothing was touched): stack output "${field}": `,
      ),
    ).toBe(true);
    expect(message).toMatch(why);
    expect(message.trim().split("\n")).toHaveLength(1);
  });

  it("names a byte-order mark and UTF-16 (what PowerShell's > writes) with the fix, not just 'not JSON'", async () => {
    const bom = await run(undefined, "worker", "\ufeff" + FIXTURE_TEXT);
    expect(bom.code).toBe(2);
    expect(bom.message).toMatch(
      /stack output "\(file\)": outputs\.json starts with a byte-order mark \(U\+FEFF\); re-save outputs\.json as UTF-8 without a byte-order mark/,
    );
    // A UTF-16LE file read as UTF-8 (what readText does): the BOM becomes two U+FFFD, every other byte NUL.
    const utf16 = Buffer.from("\ufeff" + FIXTURE_TEXT, "utf16le").toString("utf8");
    const u = await run(undefined, "worker", utf16);
    expect(u.code).toBe(2);
    expect(u.message).toMatch(/looks like UTF-16 text .*Out-File -Encoding utf8NoBOM/);
    const noBom = await run(
      undefined,
      "worker",
      Buffer.from(FIXTURE_TEXT, "utf16le").toString("utf8"),
    );
    expect(noBom.message).toMatch(/looks like UTF-16/);
    const broken = await run(undefined, "worker", '{"url":');
    expect(broken.code).toBe(2);
    expect(broken.message).toMatch(
      /stack output "\(file\)": outputs\.json is not JSON \(.+\); save them with `pulumi stack output --json --show-secrets > outputs\.json`/,
    );
    for (const r of [bom, u, noBom, broken]) expect(r.contacted).toEqual([]);
  });

  it("accepts the fixture with every kind of target, and what parseStackOutputs reads from it", () => {
    for (const target of [
      "worker",
      "manager",
      "edge",
      "az:eu-west-1a",
      "az:eu-west-1-lax-1a",
      ...fixture().nodes.map((n: { name: string }) => n.name),
    ]) {
      expect(() => checkOutputsDocument(fixture(), target), target).not.toThrow();
    }
    expect(() => checkOutputsDocument(mutate((o) => delete o.edgeInstanceIds))).not.toThrow();
    expect(() => checkOutputsDocument(mutate((o) => delete o.nodes[0].swarmNodeId))).not.toThrow();
    expect(() =>
      checkOutputsDocument(
        mutate((o) => Object.assign(o, { edgeEipAllocationId: null, edgeInstanceIds: null })),
      ),
    ).not.toThrow();
  });

  it("reaches the setup with a valid document (the check is not a wall)", async () => {
    const { d, contacted } = deps(FIXTURE_TEXT);
    await main(["--outputs", "outputs.json", "--connections", "0"], d);
    expect(contacted[0]).toBe("EC2 (refreshOutputs)");
  });

  it("parseOutputsText throws OutputsSchemaError, which main maps to exit 2", () => {
    expect(() => parseOutputsText("\ufeff{}", "x.json")).toThrow(OutputsSchemaError);
  });
});
