/**
 * The lab's partition scripts (lab/labPartition.ts): snapshots, shellcheck, and real runs of
 * cut / heal / expiry against a fake `iptables` that keeps its rules in a file and, like iptables,
 * fails `-D`/`-C` of an absent rule. Each guarantee has its case that must fail.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  renderPartitionCut,
  renderPartitionExpiry,
  renderPartitionHeal,
  renderSilence,
} from "../../lab/labPartition";
import { assertValid, shellcheck } from "../validators";

const scripts: [string, string][] = [
  ["lab-partition-cut", renderPartitionCut("tok-1")],
  ["lab-partition-heal", renderPartitionHeal()],
  ["lab-partition-expiry", renderPartitionExpiry("tok-1", 120)],
  ["lab-silence", renderSilence()],
];

describe("lab partition scripts: snapshots and shellcheck", () => {
  it.for(scripts)("%s matches its snapshot", async ([name, script]) => {
    await expect(script).toMatchFileSnapshot(`__snapshots__/${name}.sh`);
  });
  it.for(scripts)("%s is shellcheck-clean as POSIX sh", ([name, script], ctx) => {
    assertValid(name, shellcheck(ctx, script));
  });
  it("refuses values that would break out of the shell word", () => {
    expect(() => renderPartitionCut("t;reboot")).toThrow(/partition token/);
    expect(() => renderPartitionCut("t", { iface: "eth0;reboot" })).toThrow(/interface name/);
    expect(() => renderPartitionHeal({ markFile: "/run/x $(reboot)" })).toThrow(/mark file/);
    expect(() => renderPartitionExpiry("t", 0)).toThrow(/partition expiry 0/);
    expect(() => renderPartitionExpiry("t", 1.5)).toThrow(/partition expiry/);
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A node: fake iptables (rules in $dir/rules, "table chain match" per line) and a mark file. */
function fakeNode(opts: { failInsertOf?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "swarm-ha-partition-"));
  dirs.push(dir);
  const rules = join(dir, "rules");
  writeFileSync(rules, "");
  // iptables -w -t TABLE OP CHAIN [1] MATCH...
  writeFileSync(
    join(dir, "iptables"),
    `#!/bin/sh
shift; shift; table=$1; op=$2; chain=$3; shift 3
[ "$op" = "-I" ] && [ "$1" = "1" ] && shift
line="$table $chain $*"
case $op in
  -I) [ "$table" = "${opts.failInsertOf ?? "none"}" ] && { echo "iptables: table $table unavailable" >&2; exit 1; }
      { echo "$line"; cat "${rules}"; } > "${rules}.new" && mv "${rules}.new" "${rules}" ;;
  -C) grep -qxF "$line" "${rules}" ;;
  -D) grep -qxF "$line" "${rules}" || exit 1
      awk -v l="$line" 'done || $0 != l { print; next } { done = 1 }' "${rules}" > "${rules}.new" && mv "${rules}.new" "${rules}" ;;
esac
`,
  );
  chmodSync(join(dir, "iptables"), 0o755);
  const args = { iface: "lo", markFile: join(dir, "mark") };
  const run = (script: string) => {
    const r = spawnSync("sh", ["-c", script], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      encoding: "utf8",
    });
    return { code: r.status, stderr: r.stderr };
  };
  return {
    args,
    run,
    rules: () => readFileSync(rules, "utf8").split("\n").filter(Boolean),
    mark: () =>
      existsSync(args.markFile) ? readFileSync(args.markFile, "utf8").trim() : undefined,
  };
}

const CUT = ["mangle POSTROUTING -o lo -j DROP", "raw PREROUTING -i lo -j DROP"];

describe("lab partition scripts: real runs", () => {
  it("cut inserts both DROP rules and the mark; heal removes every copy and the mark; a second heal succeeds", () => {
    const n = fakeNode();
    expect(n.run(renderPartitionCut("tok-1", n.args)).code).toBe(0);
    expect([...n.rules()].sort()).toEqual(CUT);
    expect(n.mark()).toBe("tok-1");
    expect(n.run(renderPartitionCut("tok-2", n.args)).code).toBe(0); // two cuts: two copies each
    expect(n.rules()).toHaveLength(4);
    expect(n.run(renderPartitionHeal(n.args)).code).toBe(0);
    expect(n.rules()).toEqual([]);
    expect(n.mark()).toBeUndefined();
    expect(n.run(renderPartitionHeal(n.args)).code).toBe(0);
  });

  it("cut fails on a missing interface, before any rule (the case that must fail)", () => {
    const n = fakeNode();
    const r = n.run(renderPartitionCut("tok-1", { ...n.args, iface: "nosuch0" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no interface nosuch0 in this node");
    expect(n.rules()).toEqual([]);
  });

  it("cut that fails half-way exits non-zero (the adapter then runs the heal, which leaves nothing)", () => {
    const n = fakeNode({ failInsertOf: "mangle" });
    expect(n.run(renderPartitionCut("tok-1", n.args)).code).toBe(1);
    expect(n.rules()).toEqual(["raw PREROUTING -i lo -j DROP"]);
    expect(n.run(renderPartitionHeal(n.args)).code).toBe(0);
    expect(n.rules()).toEqual([]);
  });

  it("heal reports a rule it could not remove (the case that must fail)", () => {
    const n = fakeNode();
    n.run(renderPartitionCut("tok-1", n.args));
    // An iptables whose -D always fails but -C still finds the rule.
    const broken = renderPartitionHeal(n.args).replace(
      /while iptables -w -t raw -D/,
      "while false && iptables -w -t raw -D",
    );
    const r = n.run(broken);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("partition rule still present: raw PREROUTING -i lo -j DROP");
  });

  it("the safety heals its own partition after the delay, and leaves a newer partition alone", () => {
    const n = fakeNode();
    n.run(renderPartitionCut("tok-1", n.args));
    expect(n.run(renderPartitionExpiry("tok-1", 1, n.args)).code).toBe(0);
    expect(n.rules()).toEqual([]);
    expect(n.mark()).toBeUndefined();

    n.run(renderPartitionCut("tok-2", n.args));
    expect(n.run(renderPartitionExpiry("tok-1", 1, n.args)).code).toBe(0);
    expect(n.rules()).toHaveLength(2);
    expect(n.mark()).toBe("tok-2");
  });
});
