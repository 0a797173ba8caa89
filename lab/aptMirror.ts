/**
 * The Debian mirror the lab's base image is bootstrapped from: the one this machine's apt already
 * uses (a corporate mirror or caching proxy then just works), else Debian's CDN. Reads one-line
 * sources (`deb [opts] URI suite comps`, /etc/apt/sources.list and sources.list.d/*.list) and deb822
 * stanzas (`Types:`/`URIs:`/`Suites:`, sources.list.d/*.sources).
 */
import * as fs from "fs";
import * as path from "path";

export const DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian";

/** One apt source entry (binary packages only). */
export interface AptSource {
  readonly uri: string;
  readonly suites: readonly string[];
}

// Debian's codenames and aliases: an entry for these serves Debian's main archive (an Ubuntu or
// third-party repository does not, and debootstrap of bookworm would fail against it).
const DEBIAN_SUITES = new Set([
  "buster",
  "bullseye",
  "bookworm",
  "trixie",
  "forky",
  "duke",
  "sid",
  "oldoldstable",
  "oldstable",
  "stable",
  "testing",
  "unstable",
]);

/** `deb [arch=amd64 signed-by=…] http://mirror/debian bookworm main` lines; deb-src and comments skipped. */
export function parseSourcesList(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ uri: m[1], suites: [m[2]] });
  }
  return out;
}

/** deb822 stanzas (blank-line separated); `Enabled: no` and stanzas without Types deb are skipped. */
export function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  const lines = text.split("\n").filter((l) => !l.trimStart().startsWith("#"));
  for (const stanza of lines.join("\n").split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split("\n")) {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) {
        last = m[1].toLowerCase();
        fields.set(last, m[2].trim());
      } else if (last && /^\s+\S/.test(line)) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`); // a folded continuation line
      }
    }
    const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
    if (!words("types").includes("deb") || (fields.get("enabled") ?? "yes").toLowerCase() === "no")
      continue;
    for (const uri of words("uris")) out.push({ uri, suites: words("suites") });
  }
  return out;
}

/** The first entry that serves Debian's main archive (not -security, not another distribution). */
export function pickDebianMirror(sources: readonly AptSource[]): string | undefined {
  const found = sources.find(
    (s) =>
      /^https?:\/\//.test(s.uri) &&
      s.suites.some((suite) => DEBIAN_SUITES.has(suite.split("/")[0])),
  );
  return found?.uri.replace(/\/+$/, "");
}

/** apt's source files under `root`: sources.list, then sources.list.d/*.list (one-line) and *.sources (deb822) by name. */
export function readAptSources(root = "/"): AptSource[] {
  const etc = path.join(root, "etc", "apt");
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  const dir = path.join(etc, "sources.list.d");
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  return [
    ...parseSourcesList(read(path.join(etc, "sources.list"))),
    ...entries.flatMap((f) =>
      f.endsWith(".list")
        ? parseSourcesList(read(path.join(dir, f)))
        : f.endsWith(".sources")
          ? parseDeb822(read(path.join(dir, f)))
          : [],
    ),
  ];
}

/**
 * Checks a `--mirror` value: an http(s) URL of a Debian archive, without query or fragment.
 * Returns the URL without a trailing slash, or a reason it is refused.
 */
export function checkMirrorUrl(value: string): { url: string } | { reason: string } {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return { reason: `needs a URL like ${DEFAULT_DEBIAN_MIRROR} (got ${JSON.stringify(value)})` };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    return { reason: `must be an http:// or https:// URL (got ${u.protocol})` };
  if (u.search || u.hash || u.username)
    return { reason: "must be a plain archive URL, without query, fragment or credentials" };
  return { url: value.replace(/\/+$/, "") };
}

/** The mirror to bootstrap from, and where it came from (for the log line). */
export function debianMirror(
  flag: string | undefined,
  sources: () => readonly AptSource[] = readAptSources,
): { url: string; from: string } {
  if (flag) return { url: flag, from: "--mirror" };
  const fromApt = pickDebianMirror(sources());
  return fromApt
    ? { url: fromApt, from: "this machine's apt sources" }
    : { url: DEFAULT_DEBIAN_MIRROR, from: "Debian's CDN (no Debian entry in apt sources)" };
}
