/**
 * Images without a registry. Every lab image is built FROM one base image of the Debian release asked
 * (--debian 12|13, default 13; or the --base-image setting), with a tag that is the release's
 * codename and a hash of its build context and base image ID (swarm-ha/lab-node:trixie-<hash>): the
 * two releases' images coexist, and a second run finds the tag and builds nothing. Where nothing can
 * be pulled, the base is built once from a Debian mirror (debootstrap of that release): `--mirror`,
 * else the one this machine's apt uses, else Debian's CDN (lab/aptMirror.ts).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { renderDaemonJson } from "../renderers/cloudInit";
import { debianMirror } from "./aptMirror";
import { docker, dockerRaw, LabError } from "./docker";
import {
  APP_IMAGE_REPO,
  DEBIAN_CODENAME,
  DEFAULT_DEBIAN_RELEASE,
  LAB_LABEL,
  type DebianRelease,
} from "./settings";

export { DEBIAN_CODENAME, DEFAULT_DEBIAN_RELEASE, type DebianRelease };

/** The base built with debootstrap when nothing can be pulled, e.g. swarm-ha/base:trixie. */
export function offlineBase(release: DebianRelease): string {
  return `swarm-ha/base:${DEBIAN_CODENAME[release]}`;
}
/** The base a workstation that can pull uses when present locally, e.g. debian:trixie-slim. */
export function workstationBase(release: DebianRelease): string {
  return `debian:${DEBIAN_CODENAME[release]}-slim`;
}

const REPO_ROOT = path.resolve(__dirname, "..");

export interface LabImages {
  /** The Debian release every image is built on. */
  readonly release: DebianRelease;
  readonly base: string;
  readonly node: string;
  readonly nginx: string;
  readonly nfs: string;
  readonly app: string;
  /** Images this run had to build (empty when everything was cached: a warm bring-up). */
  readonly built: readonly string[];
}

async function imageId(ref: string): Promise<string | undefined> {
  const r = await dockerRaw(["image", "inspect", "--format", "{{.Id}}", ref]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

function run(cmd: string, args: string[], log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT"
          ? new LabError(`${cmd} is not installed; install it (Debian: apt-get install -y ${cmd})`)
          : e,
      ),
    );
    child.on("close", (code) => {
      if (code === 0) resolve();
      else {
        log(tail);
        reject(
          new LabError(
            `${cmd} ${args.slice(0, 3).join(" ")} ... failed (exit ${code}); last output above`,
          ),
        );
      }
    });
  });
}

/**
 * The base image: the explicit setting, else debian:<codename>-slim when present locally, else
 * swarm-ha/base:<codename>, built from a Debian mirror when missing (about 25-30 s, then cached):
 * `mirror` (the --mirror flag), else the machine's apt sources, else deb.debian.org.
 */
export async function resolveBaseImage(
  setting: string | undefined,
  log: (l: string) => void,
  built: string[] = [],
  mirror?: string,
  release: DebianRelease = DEFAULT_DEBIAN_RELEASE,
): Promise<string> {
  if (setting) {
    if (!(await imageId(setting))) {
      throw new LabError(
        `--base-image ${setting} is not present in the local engine; load it first, or omit the flag to use the offline base`,
      );
    }
    return setting;
  }
  const WORKSTATION_BASE = workstationBase(release);
  const OFFLINE_BASE = offlineBase(release);
  if (await imageId(WORKSTATION_BASE)) return WORKSTATION_BASE;
  if (await imageId(OFFLINE_BASE)) return OFFLINE_BASE;
  built.push(OFFLINE_BASE);
  const source = debianMirror(mirror);
  log(
    `  building ${OFFLINE_BASE} from ${source.url} (${source.from}) with debootstrap (no image registry needed)`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-base-"));
  try {
    await run("debootstrap", ["--variant=minbase", DEBIAN_CODENAME[release], dir, source.url], log);
    // Trim what no lab image needs, so every `docker load` into a node moves less.
    for (const p of [
      "var/cache/apt/archives",
      "var/lib/apt/lists",
      "usr/share/doc",
      "usr/share/man",
      "usr/share/locale",
    ]) {
      fs.rmSync(path.join(dir, p), { recursive: true, force: true });
      fs.mkdirSync(path.join(dir, p), { recursive: true });
    }
    await new Promise<void>((resolve, reject) => {
      const tar = spawn("tar", ["-C", dir, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
      const imp = spawn(
        "docker",
        [
          "import",
          "--change",
          `LABEL ${LAB_LABEL}.image=base`,
          "--change",
          'CMD ["/bin/bash"]',
          "-",
          OFFLINE_BASE,
        ],
        { stdio: ["pipe", "ignore", "pipe"] },
      );
      let err = "";
      imp.stderr.on("data", (d: Buffer) => (err += d.toString()));
      tar.stdout.pipe(imp.stdin);
      imp.on("close", (code) =>
        code === 0 ? resolve() : reject(new LabError(`docker import failed: ${err.trim()}`)),
      );
      tar.on("error", reject);
      imp.on("error", reject);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return OFFLINE_BASE;
}

interface Context {
  readonly name: "node" | "nginx" | "nfs" | "app";
  readonly repo: string;
  /** File name in the build context → content. */
  readonly files: Readonly<Record<string, string | Buffer>>;
}

function contexts(): Context[] {
  const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel));
  const labImage = (
    name: "node" | "nginx" | "nfs",
    extra: Record<string, string> = {},
  ): Context => ({
    name,
    repo: `swarm-ha/lab-${name}`,
    files: {
      Dockerfile: read(`lab/images/${name}/Dockerfile`),
      "entrypoint.sh": read(`lab/images/${name}/entrypoint.sh`),
      ...extra,
    },
  });
  return [
    labImage("node", { "daemon.json": renderDaemonJson() }),
    labImage("nginx"),
    labImage("nfs"),
    {
      name: "app",
      repo: APP_IMAGE_REPO,
      files: { Dockerfile: read("app/Dockerfile"), "server.js": read("app/server.js") },
    },
  ];
}

function contextHash(c: Context, baseId: string): string {
  const h = createHash("sha256");
  h.update(`base ${baseId}\n`);
  for (const name of Object.keys(c.files).sort()) {
    h.update(`${name}\n`);
    h.update(c.files[name]);
    h.update("\n");
  }
  return h.digest("hex").slice(0, 12);
}

/**
 * An image's tag: the Debian codename, then the content hash, e.g. swarm-ha/lab-node:trixie-3f2a…, so
 * the images of both releases coexist in one engine and a look at `docker images` says which is which.
 */
export function imageTag(repo: string, release: DebianRelease, hash: string): string {
  return `${repo}:${DEBIAN_CODENAME[release]}-${hash}`;
}

async function buildOne(
  c: Context,
  base: string,
  baseId: string,
  release: DebianRelease,
  log: (l: string) => void,
  built: string[],
): Promise<string> {
  const tag = imageTag(c.repo, release, contextHash(c, baseId));
  if (await imageId(tag)) {
    log(`  ${tag} cached`);
    return tag;
  }
  built.push(tag);
  const started = performance.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `swarm-ha-${c.name}-`));
  try {
    for (const [name, content] of Object.entries(c.files))
      fs.writeFileSync(path.join(dir, name), content);
    // The classic builder: BuildKit is not always available with Debian's engine, and nothing is pulled.
    const r = await dockerRaw(
      [
        "build",
        "-q",
        "--build-arg",
        `BASE_IMAGE=${base}`,
        "--label",
        `${LAB_LABEL}.image=${c.name}`,
        "-t",
        tag,
        dir,
      ],
      { timeoutMs: 15 * 60_000 },
    );
    if (r.code !== 0) {
      log((r.stdout + r.stderr).split("\n").slice(-30).join("\n"));
      throw new LabError(
        `building the ${c.name} image failed; Debian's mirror must be reachable from containers (output above)`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log(`  ${tag} built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return tag;
}

/**
 * Builds (or finds cached) the four lab images on Debian `release`; independent builds run two at a
 * time (2 cores). With an explicit base image, `release` is what that image is taken to be.
 */
export async function ensureImages(
  baseSetting: string | undefined,
  log: (l: string) => void,
  mirror?: string,
  release: DebianRelease = DEFAULT_DEBIAN_RELEASE,
): Promise<LabImages> {
  const built: string[] = [];
  const base = await resolveBaseImage(baseSetting, log, built, mirror, release);
  const baseId = (await imageId(base))!;
  const cs = contexts();
  const byName = new Map<string, string>();
  const queue = [...cs];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift())
      byName.set(c.name, await buildOne(c, base, baseId, release, log, built));
  };
  await Promise.all([worker(), worker()]);
  return {
    release,
    base,
    node: byName.get("node")!,
    nginx: byName.get("nginx")!,
    nfs: byName.get("nfs")!,
    app: byName.get("app")!,
    built,
  };
}

/**
 * One lab image on Debian `release`, built (or found cached) exactly as ensureImages would: the
 * renderer tests run `nginx -t` and `keepalived -t` in the balancer image of each release.
 */
export async function ensureLabImage(
  name: Context["name"],
  release: DebianRelease,
  log: (l: string) => void,
  mirror?: string,
): Promise<string> {
  const built: string[] = [];
  const base = await resolveBaseImage(undefined, log, built, mirror, release);
  const c = contexts().find((x) => x.name === name)!;
  return buildOne(c, base, (await imageId(base))!, release, log, built);
}

/** Where `docker save` output of an app image is cached (one file per content tag). */
export async function appImageTar(app: string): Promise<string> {
  const dir = path.join(REPO_ROOT, ".lab", "cache");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${app.replace(/[/:]/g, "_")}.tar`);
  if (!fs.existsSync(file)) {
    for (const old of fs.readdirSync(dir))
      if (old.endsWith(".tar")) fs.rmSync(path.join(dir, old), { force: true });
    await docker(["save", "-o", `${file}.tmp`, app]);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}
