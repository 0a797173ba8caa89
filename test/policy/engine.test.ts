/**
 * The pack as the Pulumi CLI runs it: started with @pulumi/pulumi's own policy-pack runner (which
 * compiles policy/*.ts with policy/tsconfig.json), then driven over the Analyzer gRPC protocol the
 * CLI speaks. Proves the PolicyPack loads, advertises every policy with its schema, honours a
 * per-stack config, and keeps working when inputs are unknown during a first preview.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { policies } from "../../policy/policies";
import { clusterIngressRule, efsStack, instance, TYPES } from "./fixtures";

const root = path.join(__dirname, "..", "..");
// The wire sentinel for a value not known until the resource is created.
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
// Same grpc-js instance the generated client was built against (by path, synchronously at load).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- no static import can name that copy
const grpc: typeof import("@grpc/grpc-js") = require(
  require.resolve("@grpc/grpc-js", {
    paths: [path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb"))],
  }),
);

type Diagnostic = { policy: string; level: string; message: string };
const LEVEL: Record<number, string> = {
  0: "advisory",
  1: "mandatory",
  2: "disabled",
  3: "remediate",
};

describe("the pack under the Pulumi policy runner", () => {
  let proc: ChildProcess;
  let client: analyzerGrpc.AnalyzerClient;
  let stderr = "";

  beforeAll(async () => {
    const runner = path.join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    proc = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
      cwd: path.join(root, "policy"),
    });
    proc.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      proc.stdout!.on("data", (d) => {
        out += d;
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    client = new analyzerGrpc.AnalyzerClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
  }, 120_000);

  afterAll(() => {
    client?.close();
    proc?.kill();
  });

  function call<Res>(send: (cb: (e: Error | null, r: Res) => void) => unknown): Promise<Res> {
    return new Promise((resolve, reject) => send((e, r) => (e ? reject(e) : resolve(r))));
  }

  async function analyze(
    type: string,
    name: string,
    props: Record<string, unknown>,
  ): Promise<Diagnostic[]> {
    const req = new analyzerPb.AnalyzeRequest()
      .setType(type)
      .setName(name)
      .setUrn(`urn:pulumi:dev::swarm-ha::${type}::${name}`)
      .setProperties(Struct.fromJavaScript(props as never))
      .setOptions(new analyzerPb.AnalyzerResourceOptions());
    const res = await call<analyzerPb.AnalyzeResponse>((cb) => client.analyze(req, cb));
    return res.getDiagnosticsList().map((d) => ({
      policy: d.getPolicyname(),
      level: LEVEL[d.getEnforcementlevel()],
      message: d.getMessage(),
    }));
  }

  it("advertises every policy, its default level and its config schema", async () => {
    const info = await call<analyzerPb.AnalyzerInfo>((cb) =>
      client.getAnalyzerInfo(new Empty(), cb),
    );
    expect(info.getName()).toBe("swarm-ha");
    const advertised = info
      .getPoliciesList()
      .map((p) => [p.getName(), LEVEL[p.getEnforcementlevel()]]);
    expect(advertised).toEqual(policies.map((p) => [p.name, "mandatory"]));
    const imds = info.getPoliciesList().find((p) => p.getName() === "ec2-imdsv2-required")!;
    expect(imds.getConfigschema()?.getProperties()?.toJavaScript()).toMatchObject({
      maxHopLimit: { default: 1 },
    });
  });

  it("reports a non-compliant instance the way `pulumi preview` shows it", async () => {
    const bad = {
      ...instance(),
      instanceType: "r5.large",
      metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 },
    };
    const diags = await analyze(TYPES.instance, "worker-0", bad);
    expect(diags.map((d) => [d.policy, d.level])).toEqual([
      ["ec2-imdsv2-required", "mandatory"],
      ["allowed-instance-families", "mandatory"],
    ]);
    expect(diags[0].message).toContain(
      'metadataOptions.httpTokens must be "required" (IMDSv2), got "optional"',
    );
    expect(await analyze(TYPES.instance, "worker-1", instance())).toEqual([]);
  });

  it("still judges a rule whose referenced security group id is unknown at preview", async () => {
    const diags = await analyze(TYPES.vpcIngressRule, "cluster-2377", {
      ...clusterIngressRule(),
      securityGroupId: UNKNOWN,
      referencedSecurityGroupId: UNKNOWN,
    });
    expect(diags).toEqual([]);
  });

  it("counts a tag whose value is unknown at preview as set", async () => {
    const p = instance();
    p.tags.Name = UNKNOWN;
    p.tags["swarm-ha:stack"] = UNKNOWN;
    expect(await analyze(TYPES.instance, "worker-3", p)).toEqual([]);
  });

  async function analyzeStack(
    resources: Array<{ type: string; name: string; props: Record<string, unknown> }>,
  ): Promise<Diagnostic[]> {
    const req = new analyzerPb.AnalyzeStackRequest().setResourcesList(
      resources.map((r) =>
        new analyzerPb.AnalyzerResource()
          .setType(r.type)
          .setName(r.name)
          .setUrn(`urn:pulumi:prod::swarm-ha::${r.type}::${r.name}`)
          .setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props)) as never))
          .setOptions(new analyzerPb.AnalyzerResourceOptions()),
      ),
    );
    const res = await call<analyzerPb.AnalyzeResponse>((cb) => client.analyzeStack(req, cb));
    return res.getDiagnosticsList().map((d) => ({
      policy: d.getPolicyname(),
      level: LEVEL[d.getEnforcementlevel()],
      message: d.getMessage(),
    }));
  }

  it("runs the EFS stack policies over a whole stack, as the CLI does after a preview", async () => {
    expect(await analyzeStack(efsStack())).toEqual([]);
    const moved = efsStack().map((r) =>
      r.name === "logs-mt-1" ? { ...r, props: { ...r.props, subnetId: "subnet-edge" } } : r,
    );
    expect(await analyzeStack(moved)).toEqual([
      expect.objectContaining({
        policy: "efs-mount-targets-in-cluster-subnets",
        level: "mandatory",
        message: expect.stringContaining("logs-mt-1: subnetId subnet-edge holds no swarm node"),
      }),
    ]);
  });

  it("applies a per-stack policy config (levels and settings), as --policy-pack-config does", async () => {
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    map.set(
      "ec2-imdsv2-required",
      new analyzerPb.PolicyConfig()
        .setEnforcementlevel(analyzerPb.EnforcementLevel.ADVISORY)
        .setProperties(Struct.fromJavaScript({ maxHopLimit: 2 })),
    );
    // The CLI sends a properties struct for every policy, empty when only the level is set.
    map.set(
      "allowed-instance-families",
      new analyzerPb.PolicyConfig()
        .setEnforcementlevel(analyzerPb.EnforcementLevel.DISABLED)
        .setProperties(Struct.fromJavaScript({})),
    );
    await call<Empty>((cb) => client.configure(req, cb));

    const hop3 = {
      ...instance(),
      instanceType: "r5.large",
      metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 },
    };
    expect(await analyze(TYPES.instance, "worker-2", hop3)).toEqual([
      expect.objectContaining({
        policy: "ec2-imdsv2-required",
        level: "advisory",
        message: expect.stringContaining(
          "metadataOptions.httpPutResponseHopLimit must be at most 2, got 3",
        ),
      }),
    ]);
  });
});
