/**
 * The WasService component through the real engine and the real `docker` provider, against a one-node
 * swarm in a docker-in-docker container (the lab's node image): the second `up` must be a no-op. This is
 * where the provider's read-back lives (the overlay network's options, the health check's durations, the
 * spread preference): mocks cannot see it. The component is used as the AWS program uses it; only the
 * provider's transport is swapped, by a transform, from ssh:// to the node's unix socket.
 * Needs the docker plugin in .tools/home (tools/README.md), a Docker engine and a lab node image.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WasService } from "../../components/wasService";
import { inlineStack, missingPlugins, toolsManifest } from "../../lab/engine/pulumi";
import { dindFlags } from "../../lab/lab";

const manifest = toolsManifest();
const sh = (args: string[]): string => execFileSync("docker", args, { encoding: "utf8" }).trim();
function nodeImage(): string | undefined {
  try {
    return sh(["images", "--format", "{{.Repository}}:{{.Tag}}", "swarm-ha/lab-node"])
      .split("\n")
      .filter(Boolean)[0];
  } catch {
    return undefined;
  }
}
const image = nodeImage();
const why = !manifest
  ? "no Pulumi CLI (npm run tools)"
  : missingPlugins(manifest, ["docker"]).length
    ? `no ${missingPlugins(manifest, ["docker"]).join(", ")} plugin; tools/README.md`
    : !image
      ? "no lab node image (npm run lab builds it)"
      : undefined;

const NODE = "swarm-ha-engine-test-node";
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-was-engine-"));
const apiDir = path.join(scratch, "api");
const socket = path.join(apiDir, "docker.sock");

describe.skipIf(why !== undefined)(
  `WasService on the real engine${why ? ` (skipped: ${why})` : ""}`,
  () => {
    beforeAll(async () => {
      execFileSync("docker", ["rm", "-f", NODE], { stdio: "ignore" });
      fs.mkdirSync(apiDir, { recursive: true });
      const cgroup = sh(["info", "--format", "{{.CgroupVersion}}"]);
      sh([
        "run",
        "-d",
        "--name",
        NODE,
        ...dindFlags(cgroup),
        "-v",
        "/var/lib/docker",
        "-v",
        `${apiDir}:/run/lab-api`,
        image!,
      ]);
      const engine = new Docker({ socketPath: socket, timeout: 5000 });
      const until = Date.now() + 120_000;
      while (
        !(await engine.ping().then(
          () => true,
          () => false,
        ))
      ) {
        if (Date.now() > until) throw new Error(`the engine in ${NODE} did not answer`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await engine.swarmInit({ ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1:2377" });
    }, 180_000);
    afterAll(() => {
      execFileSync("docker", ["rm", "-f", "-v", NODE], { stdio: "ignore" });
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    const stack = () =>
      inlineStack({
        projectName: "was-engine",
        stackName: "dev",
        stateDir: path.join(scratch, "state"),
        program: async () => {
          const unixHost = `unix://${socket}`;
          const was = new WasService(
            "was",
            {
              identity: { project: "was-engine", stack: "dev" },
              managerAddress: "192.0.2.10",
              ssh: { user: "ubuntu", privateKey: pulumi.secret("unused") },
              keyDir: path.join(scratch, "keys"),
              replicas: 2,
              encryptOverlay: true,
              nfs: { server: "10.0.0.5", exportPath: "/srv/nfs/was-logs" },
            },
            {
              transforms: [
                (a) =>
                  a.type === "pulumi:providers:docker"
                    ? { props: { ...a.props, host: unixHost, sshOpts: [] }, opts: a.opts }
                    : undefined,
              ],
            },
          );
          return { serviceId: was.serviceId };
        },
      });

    it("creates the overlay network, the app config and the service on the first up", async () => {
      const r = await (await stack()).up();
      expect(r.summary.result).toBe("succeeded");
      expect(r.summary.resourceChanges?.create).toBeGreaterThanOrEqual(5);
    }, 600_000);

    it("reaches swarm as the lab posts it: spread over the zone label, the health check's durations", async () => {
      const engine = new Docker({ socketPath: socket, timeout: 5000 });
      const [svc] = await engine.listServices({ filters: { name: ["was"] } });
      const t = svc.Spec!.TaskTemplate as {
        Placement: { Preferences: unknown };
        ContainerSpec: { Healthcheck: { Interval: number } };
      };
      // swarmkit honours only a descriptor that starts with node.labels. (finding 3)
      expect(t.Placement.Preferences).toEqual([
        { Spread: { SpreadDescriptor: "node.labels.swarm-ha.zone" } },
      ]);
      expect(t.ContainerSpec.Healthcheck.Interval).toBe(500_000_000);
      const net = await engine.getNetwork("was-net").inspect();
      expect(net.Options).toMatchObject({ encrypted: "true" });
    }, 60_000);

    it("plans nothing on the second up: no replaced network, no service update (findings 1-3)", async () => {
      let text = "";
      const s = await stack();
      const r = await s.preview({ diff: true, onOutput: (o) => (text += o) }).catch((e: Error) => {
        throw new Error(`${e.message}\n${text}`);
      });
      expect(r.changeSummary, text).toEqual({ same: r.changeSummary.same });
    }, 600_000);

    it("tears down with destroy", async () => {
      const r = await (await stack()).destroy();
      expect(r.summary.result).toBe("succeeded");
    }, 600_000);
  },
);
