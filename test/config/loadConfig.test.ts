/**
 * config/config.ts against the runtime's config store: what the Pulumi CLI hands the program
 * (namespaced keys, provider keys such as aws:profile, the list of keys set with --secret).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/config";

const BASE = { "aws:region": "eu-west-1", "swarm-ha:adminCidr": "198.51.100.7/32" };

function load(
  config: Record<string, string>,
  secretKeys: string[] = [],
): ReturnType<typeof loadConfig> {
  pulumi.runtime.setAllConfig(config, secretKeys);
  return loadConfig();
}

/** The error loadConfig throws for this config. */
function failure(config: Record<string, string>, secretKeys: string[] = []): Error {
  try {
    load(config, secretKeys);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected ${JSON.stringify(config)} to be refused`);
}

function ed25519Key(): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), "swarm-ha-key-"));
  try {
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "test",
      "-f",
      path.join(dir, "id"),
    ]);
    return fs.readFileSync(path.join(dir, "id"), "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: () => {
        throw new Error("loadConfig must not register resources");
      },
      call: () => {
        throw new Error("loadConfig must not invoke anything");
      },
    },
    "swarm-ha",
    "dev",
    false,
  );
});

describe("loadConfig errors are pulumi.RunError (printed by the CLI as the message alone)", () => {
  it("a bad value: RunError naming the key and the fix, not InputPropertyError", () => {
    const err = failure({ ...BASE, "swarm-ha:workerCount": "0" });
    expect(err).toBeInstanceOf(pulumi.RunError);
    expect(err).not.toBeInstanceOf(pulumi.InputPropertyError);
    expect(err.message).toBe('config key "workerCount": must be between 1 and 100 (got 0)');
  });

  it("a typo in this project's namespace: did you mean, and how to remove it", () => {
    const err = failure({ ...BASE, "swarm-ha:workerCont": "3" });
    expect(err).toBeInstanceOf(pulumi.RunError);
    expect(err.message).toMatch(
      /^config key "workerCont": is not a swarm-ha setting; did you mean workerCount\? Remove it with `pulumi config rm workerCont`/,
    );
  });

  it("the first of several unknown keys is named, whatever their value", () => {
    const err = failure({ ...BASE, "swarm-ha:wasPrt": "8080", "swarm-ha:zzz": "" });
    expect(err.message).toMatch(/^config key "wasPrt": .*did you mean wasPort\?/);
  });

  it("provider keys (aws:profile, aws:region, other namespaces) are not checked as typos", () => {
    const cfg = load({
      ...BASE,
      "aws:profile": "ops",
      "aws:skipCredentialsValidation": "true",
      "docker:host": "ssh://x",
    });
    expect(cfg.workers.count).toBe(3);
  });

  it("aws:region missing or malformed: RunError", () => {
    const missing = failure({ "swarm-ha:adminCidr": "198.51.100.7/32" });
    expect(missing).toBeInstanceOf(pulumi.RunError);
    expect(missing.message).toBe(
      'config key "aws:region": is required; set it with `pulumi config set aws:region eu-west-1`',
    );
    expect(failure({ ...BASE, "aws:region": "ireland" }).message).toMatch(
      /"ireland" is not an AWS region/,
    );
  });

  it("sshPrivateKey in plain text (set without --secret): RunError with the commands that fix it", () => {
    const key = ed25519Key();
    const err = failure({ ...BASE, "swarm-ha:sshPrivateKey": key });
    expect(err).toBeInstanceOf(pulumi.RunError);
    expect(err.message).toBe(
      'config key "sshPrivateKey": is stored in plain text in the stack file; run `pulumi config rm sshPrivateKey`, ' +
        "then `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`",
    );
    expect(err.message).not.toContain(key.split("\n")[1]);
  });

  it("sshPrivateKey set with --secret is accepted and handed on as a secret output", async () => {
    const cfg = load({ ...BASE, "swarm-ha:sshPrivateKey": ed25519Key() }, [
      "swarm-ha:sshPrivateKey",
    ]);
    expect(cfg.ssh.keyConfigured).toBe(true);
    expect(await (cfg.sshPrivateKey as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(
      true,
    );
  });

  it("the CLI's copy of the empty default means: generate a key", () => {
    const cfg = load({ ...BASE, "swarm-ha:sshPrivateKey": "" });
    expect(cfg.ssh.keyConfigured).toBe(false);
    expect(cfg.sshPrivateKey).toBeUndefined();
  });
});
