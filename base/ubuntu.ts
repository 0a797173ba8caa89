/**
 * The Ubuntu releases the AWS nodes can run (config key `ubuntuRelease`): Canonical's AMI name
 * pattern per release and the package versions its archive carried when this was checked, which
 * lab/README.md sets beside the lab's Debian versions.
 *
 * AMI names: Canonical (owner 099720109477) publishes `ubuntu/images/hvm-ssd-gp3/ubuntu-<codename>-
 * <version>-amd64-server-<build date>`; 26.04 is "resolute" (Resolute Raccoon; packages.ubuntu.com
 * lists "resolute (26.04LTS)"), and public Terraform and tooling filter on
 * `ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-*` with that owner (one names the
 * build ubuntu-resolute-26.04-amd64-server-20260619). Checked 2026-12-07; not checked against a
 * live EC2 DescribeImages here (no AWS access).
 */

export const UBUNTU_RELEASES = ["24.04", "26.04"] as const;
export type UbuntuRelease = (typeof UBUNTU_RELEASES)[number];
export const DEFAULT_UBUNTU_RELEASE: UbuntuRelease = "24.04";

/** Canonical's AWS account, the owner every Ubuntu AMI lookup filters on. */
export const CANONICAL_OWNER_ID = "099720109477";

export interface UbuntuReleaseInfo {
  readonly codename: string;
  /** DescribeImages name filter for the amd64 server image on gp3 (newest build wins). */
  readonly amiNamePattern: string;
  /**
   * Versions in the release's archive (newest of its pockets) on packages.ubuntu.com when checked
   * (docker.io: the docker.io-app source's version, read from its docker-doc page); lab/README.md.
   */
  readonly packages: {
    readonly dockerIo: string;
    readonly nginx: string;
    readonly keepalived: string;
  };
}

export const UBUNTU: Readonly<Record<UbuntuRelease, UbuntuReleaseInfo>> = {
  "24.04": {
    codename: "noble",
    amiNamePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*",
    packages: {
      dockerIo: "29.1.3-0ubuntu3~24.04.2",
      nginx: "1.24.0-2ubuntu7.17",
      keepalived: "1:2.2.8-1build2",
    },
  },
  "26.04": {
    codename: "resolute",
    amiNamePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-*",
    packages: {
      dockerIo: "29.1.3-0ubuntu4.1",
      nginx: "1.28.3-2ubuntu1.11",
      keepalived: "1:2.3.4-1",
    },
  },
};

/** The DescribeImages name filter of `release` for an instance architecture (Canonical names x86_64 amd64). */
export function ubuntuAmiNamePattern(
  release: UbuntuRelease,
  architecture: "x86_64" | "arm64",
): string {
  return UBUNTU[release].amiNamePattern.replace(
    "-amd64-",
    architecture === "arm64" ? "-arm64-" : "-amd64-",
  );
}
