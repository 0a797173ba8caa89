/** The lab's Debian mirror: apt sources in both formats, the --mirror flag, and the fallback. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import {
  checkMirrorUrl,
  debianMirror,
  DEFAULT_DEBIAN_MIRROR,
  parseDeb822,
  parseSourcesList,
  pickDebianMirror,
  readAptSources,
} from "../../lab/aptMirror";
import { LabError } from "../../lab/docker";
import { LabOptions, parseArgs } from "../../lab/settings";

const ONE_LINE = `# corporate mirror
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.corp.example/debian/ bookworm main contrib
deb http://security.debian.org/debian-security bookworm-security main
`;

// The shape of this machine's /etc/apt/sources.list.d/debian.sources (Debian 12 images).
const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://apt-cache.corp.example:3142/deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;

describe("apt sources", () => {
  it("reads one-line entries: options skipped, deb-src and comments ignored", () => {
    expect(parseSourcesList(ONE_LINE)).toEqual([
      { uri: "http://mirror.corp.example/debian/", suites: ["bookworm"] },
      { uri: "http://security.debian.org/debian-security", suites: ["bookworm-security"] },
    ]);
    expect(pickDebianMirror(parseSourcesList(ONE_LINE))).toBe("http://mirror.corp.example/debian");
  });

  it("reads deb822 stanzas and takes the main archive, not -security", () => {
    const sources = parseDeb822(DEB822);
    expect(sources.map((s) => s.uri)).toEqual([
      "http://apt-cache.corp.example:3142/deb.debian.org/debian",
      "http://deb.debian.org/debian-security",
    ]);
    expect(pickDebianMirror(sources)).toBe(
      "http://apt-cache.corp.example:3142/deb.debian.org/debian",
    );
    // Security first in the file: still not picked.
    expect(pickDebianMirror(parseDeb822(DEB822.split("\n\n").reverse().join("\n\n")))).toBe(
      "http://apt-cache.corp.example:3142/deb.debian.org/debian",
    );
  });

  it("skips disabled and deb-src stanzas and reads several URIs and folded lines", () => {
    const text = `Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\nTypes: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://a.example/debian\n http://b.example/debian\nSuites: trixie\n`;
    expect(parseDeb822(text)).toEqual([
      { uri: "http://a.example/debian", suites: ["trixie"] },
      { uri: "http://b.example/debian", suites: ["trixie"] },
    ]);
  });

  it("does not take an Ubuntu or third-party repository for Debian (scripted case)", () => {
    const ubuntu = parseSourcesList(
      "deb http://archive.ubuntu.com/ubuntu noble main\ndeb https://deb.nodesource.com/node_20.x nodistro main\n",
    );
    expect(pickDebianMirror(ubuntu)).toBeUndefined();
    expect(debianMirror(undefined, () => ubuntu)).toEqual({
      url: DEFAULT_DEBIAN_MIRROR,
      from: expect.stringContaining("no Debian entry"),
    });
  });

  it("reads sources.list, *.list and *.sources under a root, ignoring other files", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "apt-root-"));
    const d = path.join(root, "etc", "apt", "sources.list.d");
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, "debian.sources"), DEB822);
    fs.writeFileSync(
      path.join(d, "extra.list"),
      "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n",
    );
    fs.writeFileSync(
      path.join(d, "old.list.disabled"),
      "deb http://disabled.example/debian bookworm main\n",
    );
    expect(readAptSources(root).map((s) => s.uri)).toEqual([
      "http://apt-cache.corp.example:3142/deb.debian.org/debian",
      "http://deb.debian.org/debian-security",
      "https://packages.cloud.google.com/apt",
    ]);
    fs.writeFileSync(path.join(root, "etc", "apt", "sources.list"), ONE_LINE);
    expect(debianMirror(undefined, () => readAptSources(root))).toEqual({
      url: "http://mirror.corp.example/debian",
      from: "this machine's apt sources",
    });
    expect(readAptSources(path.join(root, "missing"))).toEqual([]);
  });

  it("lets --mirror override the apt sources", () => {
    expect(debianMirror("http://flag.example/debian", () => parseSourcesList(ONE_LINE))).toEqual({
      url: "http://flag.example/debian",
      from: "--mirror",
    });
  });
});

describe("--mirror flag", () => {
  it("takes an http(s) URL, without a trailing slash", () => {
    expect(
      (parseArgs(["--mirror", "https://mirror.example/debian/"], {}) as LabOptions).mirror,
    ).toBe("https://mirror.example/debian");
    expect((parseArgs(["--mirror=http://10.0.0.5:3142/debian"], {}) as LabOptions).mirror).toBe(
      "http://10.0.0.5:3142/debian",
    );
    expect((parseArgs([], {}) as LabOptions).mirror).toBeUndefined();
  });

  it.each([
    [["--mirror"], /--mirror: needs a URL like http:\/\/deb.debian.org\/debian/],
    [["--mirror", "deb.debian.org/debian"], /--mirror: needs a URL/],
    [
      ["--mirror", "ftp://ftp.debian.org/debian"],
      /--mirror: must be an http:\/\/ or https:\/\/ URL \(got ftp:\)/,
    ],
    [["--mirror", "http://user:pw@mirror.example/debian"], /--mirror: must be a plain archive URL/],
    [["--mirror", "http://mirror.example/debian?x=1"], /--mirror: must be a plain archive URL/],
  ])("refuses %j with one clear error", (argv, message) => {
    expect(() => parseArgs(argv, {})).toThrow(LabError);
    expect(() => parseArgs(argv, {})).toThrow(message);
  });

  it("checkMirrorUrl names the reason", () => {
    expect(checkMirrorUrl("http://x.example/debian")).toEqual({ url: "http://x.example/debian" });
    expect(checkMirrorUrl("nope")).toHaveProperty("reason");
  });
});
