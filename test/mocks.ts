/**
 * Strict Pulumi mocks for the whole program: realistic state per resource type, an error on any
 * invoke the program is not expected to make, and a record of every registration with its parent
 * and dependencies so tests can assert the resource graph.
 */
import { CANONICAL_OWNER_ID, ubuntuAmiNamePattern, type UbuntuRelease } from "../base/ubuntu";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { scriptedDrill } from "./chaos/chaosRunner";

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly state: Record<string, any>;
  readonly id: string;
  /** Position in registration order (a resource registers only after its inputs resolved). */
  readonly seq: number;
  /** Names of the resources it depends on (dependsOn and input dependencies). */
  readonly dependsOn: string[];
  readonly parent?: string;
  /** Input property names sent as secrets. */
  readonly secretInputs: string[];
  /** Output property names the resource asked to be kept secret. */
  readonly additionalSecretOutputs: string[];
  readonly ignoreChanges: string[];
  readonly deleteBeforeReplace: boolean;
  readonly retainOnDelete: boolean;
}

export interface MockedStack {
  readonly resources: Registration[];
  readonly invokes: string[];
  readonly outputs: Record<string, unknown>;
  /** Every registered resource's URN (the type chain of its parents included). */
  readonly urns: readonly string[];
  byType(type: string): Registration[];
  one(name: string): Registration;
}

// Pulumi's wire encoding of a secret value.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The AMI ids the mocked lookup answers, per release: x86_64 (Canonical amd64) and arm64 (Graviton). */
export const MOCK_AMIS: Readonly<Record<UbuntuRelease, string>> = {
  "24.04": "ami-0123456789abcdef0",
  "26.04": "ami-0a1b2c3d4e5f60718",
};
export const MOCK_ARM64_AMIS: Readonly<Record<UbuntuRelease, string>> = {
  "24.04": "ami-0fedcba9876543210",
  "26.04": "ami-0f1e2d3c4b5a69788",
};

const ALLOWED_INVOKES: Record<string, (inputs: any) => Record<string, any>> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"],
    id: "eu-west-1",
  }),
  "aws:ec2/getAmi:getAmi": (inputs) => {
    const filters = inputs.filters as Array<{ name: string; values: string[] }>;
    // The image name and the architecture filter must agree (Canonical names x86_64 "amd64").
    const arch = filters.find((f) => f.name === "architecture")?.values[0] ?? "x86_64";
    const named = filters.find((f) => f.name === "name")?.values[0] ?? "";
    const release = (Object.keys(MOCK_AMIS) as UbuntuRelease[]).find(
      (r) => named === ubuntuAmiNamePattern(r, arch as "x86_64" | "arm64"),
    );
    if (!release || JSON.stringify(inputs.owners) !== JSON.stringify([CANONICAL_OWNER_ID]))
      throw new Error(`unexpected AMI lookup ${JSON.stringify(filters)}`);
    return {
      id: (arch === "arm64" ? MOCK_ARM64_AMIS : MOCK_AMIS)[release],
      name: named.replace("ubuntu/images/hvm-ssd-gp3/", "").replace("*", "20261101"),
    };
  },
  // The edge pair's IAM policy builds the Elastic IP's ARN (arn:<partition>:ec2:<region>:<account>:elastic-ip/<id>).
  "aws:index/getPartition:getPartition": () => ({
    partition: "aws",
    dnsSuffix: "amazonaws.com",
    id: "aws",
  }),
  "aws:index/getRegion:getRegion": () => ({
    region: "eu-west-1",
    name: "eu-west-1",
    id: "eu-west-1",
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: "123456789012",
    arn: "arn:aws:iam::123456789012:user/mock",
    userId: "AIDAMOCK",
    id: "123456789012",
  }),
  "tls:index/getPublicKey:getPublicKey": (inputs) => {
    if (!String(inputs.privateKeyOpenssh).includes("PRIVATE KEY"))
      throw new Error("getPublicKey without a key");
    return {
      publicKeyOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIConfigured configured",
      algorithm: "ED25519",
    };
  },
};

const GET_INSTANCE = "aws:ec2/getInstance:getInstance";

/**
 * DescribeInstances as EC2 answers it: an instance an Elastic IP is associated with shows the EIP
 * as its public IP (associating one releases the instance's own); the edge reads SSH hosts this way.
 */
function describeInstance(
  resources: readonly Registration[],
  instanceId: string,
  moved: Readonly<Record<string, string>> = {},
): Record<string, any> {
  const instance = resources.find(
    (r) => r.type === "aws:ec2/instance:Instance" && r.id === instanceId,
  );
  if (!instance) throw new Error(`getInstance: no instance ${instanceId} was registered`);
  const eip = resources.find(
    (r) => r.type === "aws:ec2/eip:Eip" && r.inputs.instance === instanceId,
  );
  return {
    id: instanceId,
    instanceId,
    privateIp: instance.state.privateIp,
    publicIp: moved[instance.name] ?? (eip ? eip.state.publicIp : instance.state.publicIp),
  };
}

/** Replaces wire-encoded secrets by their values (which inputs were secret is recorded apart). */
function unwrapSecrets(v: any): any {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    if (v[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** What the ChaosCheck's command prints; throws (a failed command) when the drill fails. */
export type ChaosRunner = (command: string, stdin: string) => Promise<string>;
let chaosRunner: ChaosRunner = scriptedDrill("restores");
export function setChaosRunner(r: ChaosRunner): void {
  chaosRunner = r;
}

/** EC2 id prefixes per resource type: ids as AWS spells them, so the chaos CLI's parser accepts them. */
const EC2_ID_PREFIX: Record<string, string> = {
  "aws:ec2/instance:Instance": "i",
  "aws:ec2/securityGroup:SecurityGroup": "sg",
  "aws:ec2/vpc:Vpc": "vpc",
  "aws:ec2/subnet:Subnet": "subnet",
  "aws:ec2/internetGateway:InternetGateway": "igw",
  "aws:ec2/routeTable:RouteTable": "rtb",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
  "aws:ec2/eip:Eip": "eipalloc",
  "aws:ec2/eipAssociation:EipAssociation": "eipassoc",
  "aws:ebs/volume:Volume": "vol",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
  "aws:efs/fileSystem:FileSystem": "fs",
  "aws:efs/mountTarget:MountTarget": "fsmt",
};

/** The id the mocks give a resource: EC2-shaped where AWS has a shape (i-0123456789abcdef0), else `<name>-id`. */
export function mockId(type: string, name: string): string {
  if (type.startsWith("pulumi:providers:")) return `${name}-provider-id`;
  const prefix = EC2_ID_PREFIX[type];
  if (!prefix) return `${name}-id`;
  return `${prefix}-0${createHash("sha256").update(`${type}/${name}`).digest("hex").slice(0, 16)}`;
}

function ip(n: number, base: string): string {
  return `${base}.${Math.floor(n / 250)}.${(n % 250) + 4}`;
}

function state(
  type: string,
  name: string,
  inputs: Record<string, any>,
  n: number,
): Record<string, any> {
  switch (type) {
    case "aws:ec2/instance:Instance":
      return {
        ...inputs,
        privateIp: ip(n, "10.42"),
        publicIp: `198.51.100.${(n % 250) + 4}`,
        arn: `arn:aws:ec2:eu-west-1:123456789012:instance/${mockId(type, name)}`,
      };
    case "aws:ec2/eip:Eip":
      return { ...inputs, publicIp: "203.0.113.10", allocationId: mockId(type, name) };
    case "aws:efs/fileSystem:FileSystem": {
      const id = mockId(type, name);
      return {
        ...inputs,
        dnsName: `${id}.efs.eu-west-1.amazonaws.com`,
        arn: `arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/${id}`,
        performanceMode: inputs.performanceMode ?? "generalPurpose",
      };
    }
    case "aws:efs/mountTarget:MountTarget":
      // The address is the mount target's ENI in its subnet; the zone is the subnet's (not known here).
      return {
        ...inputs,
        ipAddress: ip(n, "10.42"),
        dnsName: `${inputs.fileSystemId}.efs.eu-west-1.amazonaws.com`,
      };
    case "random:index/randomId:RandomId":
      return {
        ...inputs,
        hex: createHash("sha256")
          .update(name)
          .digest("hex")
          .slice(0, 2 * inputs.byteLength),
        b64Std: "",
        b64Url: "",
        dec: "",
      };
    case "aws:ec2/keyPair:KeyPair":
      return {
        ...inputs,
        keyName: inputs.keyName ?? `${name}-kp`,
        arn: `arn:aws:ec2:::key-pair/${name}`,
      };
    case "tls:index/privateKey:PrivateKey":
      return {
        ...inputs,
        privateKeyOpenssh:
          "-----BEGIN OPENSSH PRIVATE KEY-----\nGENERATED\n-----END OPENSSH PRIVATE KEY-----\n",
        publicKeyOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGenerated generated",
      };
    case "command:remote:Command": {
      const create = String(inputs.create ?? "");
      const token = /join-token -q (manager|worker)/.exec(create);
      const stdout = token
        ? `SWMTKN-1-mock-${token[1]}-token\n`
        : create.includes("swarm ")
          ? `node-${name}\n`
          : "";
      return { ...inputs, stdout, stderr: "" };
    }
    case "command:local:Command":
      // The chaos check's drill is answered in newResource (chaosRunner: the real drill core).
      return { ...inputs, stdout: "", stderr: "" };
    default:
      return { ...inputs, arn: `arn:aws:mock:::${name}` };
  }
}

/** Every key of a stack file, namespaced as written, values as `pulumi config` passes them (strings). */
export function stackFile(
  stack: string,
  file = path.join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`),
): Record<string, string> {
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/** The swarm-ha keys of a stack file without their namespace, as parseConfig takes them. */
export function stackConfig(stack: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(stackFile(stack))
      .filter(([k]) => k.startsWith("swarm-ha:"))
      .map(([k, v]) => [k.slice("swarm-ha:".length), v]),
  );
}

/** Another Pulumi program than index.ts (an example consumer), with its own project and stack file. */
export interface OtherProgram {
  readonly project: string;
  readonly stackFile: string;
  readonly load: () => Promise<Record<string, unknown>>;
}

/**
 * Runs index.ts (or `opts.program`) under mocks for `stack` with its stack file plus `overrides` (namespaced keys),
 * waits for every registration to settle, and returns what was registered.
 */
export async function runProgram(
  stack: string,
  overrides: Record<string, string> = {},
  /** Receives registrations as they happen, so a test can see what exists when the program throws. */
  resources: Registration[] = [],
  /** Run as `pulumi preview` (isDryRun true). Default false. */
  opts: {
    readonly preview?: boolean;
    readonly program?: OtherProgram;
    /**
     * Public addresses EC2 reports now, by instance name, where they differ from the launch-time
     * one in the state (a stop/start gives an instance a new one): what getInstance answers.
     */
    readonly livePublicIps?: Readonly<Record<string, string>>;
  } = {},
): Promise<MockedStack> {
  const invokes: string[] = [];
  const urnToName = new Map<string, string>();
  const urns: string[] = [];
  const deps = new Map<
    string,
    {
      dependsOn: string[];
      parent?: string;
      secretInputs: string[];
      additionalSecretOutputs: string[];
      ignoreChanges: string[];
      deleteBeforeReplace: boolean;
      retainOnDelete: boolean;
    }
  >();
  let seq = 0;

  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const n = seq++;
        const inputs = unwrapSecrets(args.inputs);
        let st = state(args.type, args.name, inputs, n);
        if (
          args.type === "command:local:Command" &&
          String(inputs.create ?? "").includes("cli/chaos.ts")
        ) {
          // The ChaosCheck runs the real CLI and drill core against a scripted swarm (test/chaos/chaosRunner.ts).
          st = {
            ...st,
            stdout: await chaosRunner(String(inputs.create), String(inputs.stdin ?? "")),
          };
        }
        const id = mockId(args.type, args.name);
        const d = deps.get(args.name);
        resources.push({
          type: args.type,
          name: args.name,
          inputs,
          state: st,
          id,
          seq: n,
          dependsOn: d?.dependsOn ?? [],
          parent: d?.parent,
          secretInputs: d?.secretInputs ?? [],
          additionalSecretOutputs: d?.additionalSecretOutputs ?? [],
          ignoreChanges: d?.ignoreChanges ?? [],
          deleteBeforeReplace: d?.deleteBeforeReplace ?? false,
          retainOnDelete: d?.retainOnDelete ?? false,
        });
        return { id, state: st };
      },
      call(args) {
        if (args.token === GET_INSTANCE) {
          invokes.push(args.token);
          return describeInstance(resources, String(args.inputs.instanceId), opts.livePublicIps);
        }
        const fn = ALLOWED_INVOKES[args.token];
        if (!fn)
          throw new Error(
            `unmocked invoke ${args.token}: add it to test/mocks.ts only if the program really needs it`,
          );
        invokes.push(args.token);
        return fn(args.inputs);
      },
    },
    opts.program?.project ?? "swarm-ha",
    stack,
    opts.preview ?? false,
  );

  // Capture parent and dependency URNs from the raw registration requests.
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, cb: any) => {
    const name: string = req.getName();
    const urnName = (urn: string) => urnToName.get(urn) ?? urn.split("::").pop()!;
    const raw = (req.getObject()?.toJavaScript() ?? {}) as Record<string, any>;
    deps.set(name, {
      dependsOn: (req.getDependenciesList() as string[]).map(urnName),
      parent: req.getParent() ? urnName(req.getParent()) : undefined,
      secretInputs: Object.keys(raw).filter((k) => raw[k]?.[SECRET_SIG] === SECRET_VALUE),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList() as string[],
      ignoreChanges: req.getIgnorechangesList() as string[],
      deleteBeforeReplace: req.getDeletebeforereplace() === true,
      retainOnDelete: req.getRetainondelete() === true,
    });
    return register(req, (err: any, resp: any) => {
      if (resp?.getUrn) {
        urnToName.set(resp.getUrn(), name);
        urns.push(resp.getUrn());
      }
      cb(err, resp);
    });
  };

  const config: Record<string, string> = { "aws:region": "eu-west-1" };
  const project = opts.program?.project ?? "swarm-ha";
  for (const [k, v] of Object.entries({
    ...stackFile(stack, opts.program?.stackFile),
    ...overrides,
  })) {
    config[k.includes(":") ? k : `${project}:${k}`] = v;
  }
  pulumi.runtime.setAllConfig(
    config,
    Object.keys(config).filter((k) => k.endsWith(":sshPrivateKey")),
  );
  // The program writes the Docker provider's key file under ~/.ssh: keep it out of the real home.
  process.env.HOME = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-home-"));

  const program = opts.program ? await opts.program.load() : await import("../index");
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(program as Record<string, unknown>)) {
    outputs[k] = await settle(pulumi.output(v));
  }
  // Registrations that feed no export (e.g. nginx config pushes) finish shortly after: wait for quiet.
  let last = -1;
  while (last !== resources.length) {
    last = resources.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    resources,
    invokes,
    outputs,
    urns,
    byType: (type) => resources.filter((r) => r.type === type),
    one: (name) => {
      const found = resources.filter((r) => r.name === name);
      if (found.length !== 1)
        throw new Error(`expected one resource named ${name}, found ${found.length}`);
      return found[0];
    },
  };
}

/** Resolves an output to its value, secrets included (never inside an un-awaited apply). */
export function settle<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Whether an output is marked secret. */
export async function isSecret(o: pulumi.Output<unknown>): Promise<boolean> {
  return (await (o as any).isSecret) === true;
}
