import { describe, expect, it } from "vitest";
import {
  ExportModel,
  renderExports,
  renderGaneshaConf,
  renderNfsConf,
} from "../../renderers/nfsExports";

const model: ExportModel = {
  path: "/srv/nfs/was-logs",
  clients: ["10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24"],
};

/** `/etc/exports` parsed into path and client -> options (comments and blank lines dropped). */
function parseExports(text: string): Array<{ path: string; clients: Map<string, string[]> }> {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((line) => {
      const [path, ...entries] = line.trim().split(/\s+/);
      const clients = new Map<string, string[]>();
      for (const e of entries) {
        const m = /^([^()]+)\(([^()]*)\)$/.exec(e);
        if (!m) throw new Error(`malformed export entry ${e}`);
        clients.set(m[1], m[2].split(","));
      }
      return { path, clients };
    });
}

describe("renderExports (/etc/exports for nfs-kernel-server)", () => {
  it("exports the one path to exactly the given CIDRs", () => {
    const lines = parseExports(renderExports(model));
    expect(lines).toHaveLength(1);
    expect(lines[0].path).toBe(model.path);
    expect([...lines[0].clients.keys()]).toEqual(model.clients);
  });

  it("gives every client rw, sync, no_subtree_check, all_squash to the anonymous id", () => {
    for (const opts of parseExports(renderExports(model))[0].clients.values()) {
      expect(opts).toEqual(
        expect.arrayContaining([
          "rw",
          "sync",
          "no_subtree_check",
          "all_squash",
          "anonuid=65534",
          "anongid=65534",
        ]),
      );
      // Options that would widen access must never appear.
      for (const unsafe of ["no_root_squash", "no_all_squash", "insecure", "async", "crossmnt"])
        expect(opts).not.toContain(unsafe);
    }
  });

  it("honours an explicit anonymous owner", () => {
    const opts = [
      ...parseExports(
        renderExports({ ...model, anonUid: 1000, anonGid: 1001 }),
      )[0].clients.values(),
    ][0];
    expect(opts).toEqual(expect.arrayContaining(["anonuid=1000", "anongid=1001"]));
  });

  it("matches the committed snapshot", async () => {
    await expect(renderExports(model)).toMatchFileSnapshot("__snapshots__/exports");
  });

  it.each([
    ["the whole internet", "0.0.0.0/0", /anyone/],
    ["the whole internet, padded prefix", "0.0.0.0/00", /anyone/],
    ["any /0", "10.0.0.0/0", /anyone/],
    ["a host pattern", "*", /IPv4 CIDR/],
    ["a bare address", "10.42.0.5", /IPv4 CIDR/],
    ["an octet over 255", "300.42.0.0/16", /IPv4 CIDR/],
    ["a prefix over 32", "10.42.0.0/33", /IPv4 CIDR/],
    ["host bits set", "10.42.0.7/24", /host bits/],
    ["option injection", "10.42.0.0/24(rw,no_root_squash)", /IPv4 CIDR/],
    ["a second entry smuggled in", "10.42.0.0/24 *", /IPv4 CIDR/],
  ])("refuses %s (%s) in both renderings", (_label, client, message) => {
    const bad = { ...model, clients: [...model.clients, client] };
    expect(() => renderExports(bad)).toThrow(message);
    expect(() => renderGaneshaConf(bad)).toThrow(message);
  });

  it("refuses an export without clients, a relative path or a path with ..", () => {
    expect(() => renderExports({ ...model, clients: [] })).toThrow(/at least one client/);
    expect(() => renderExports({ ...model, path: "srv/logs" })).toThrow(/absolute/);
    expect(() => renderExports({ ...model, path: "/srv/../etc" })).toThrow(/absolute/);
    expect(() => renderExports({ ...model, path: "/srv/logs rw" })).toThrow(/absolute/);
    expect(() => renderExports({ ...model, anonUid: -1 })).toThrow(/anonUid/);
  });

  it("accepts single hosts (/32)", () => {
    expect(renderExports({ ...model, clients: ["10.42.0.5/32"] })).toContain("10.42.0.5/32(");
  });
});

describe("renderNfsConf", () => {
  it("serves NFSv4 only", () => {
    const conf = renderNfsConf();
    expect(conf).toMatch(/^\[nfsd\]$/m);
    expect(conf).toMatch(/^vers2=n$/m);
    expect(conf).toMatch(/^vers3=n$/m);
    expect(conf).toMatch(/^vers4=y$/m);
  });
});

describe("renderGaneshaConf (the lab's NFS server, same model)", () => {
  const conf = renderGaneshaConf(model);

  it("allows exactly the given CIDRs, read-write, and nothing by default", () => {
    const clientLines = [...conf.matchAll(/^\s*Clients = (.*);$/gm)].map((m) => m[1]);
    expect(clientLines).toEqual([model.clients.join(", ")]);
    expect(conf).toMatch(/CLIENT \{\n\s+Clients = [^;]+;\n\s+Access_Type = RW;\n\s+\}/);
    // Outside the CLIENT block the export and the defaults grant nothing.
    expect([...conf.matchAll(/Access_Type = (\w+);/g)].map((m) => m[1])).toEqual([
      "None",
      "None",
      "RW",
    ]);
  });

  it("allows a refused I/O-flusher mark only when asked (ganesha 6.5 on Debian 13 exits on it; 4.3 lacks the step)", () => {
    expect(conf).not.toContain("allow_set_io_flusher_fail");
    expect(renderGaneshaConf(model, { allowIoFlusherFail: true })).toMatch(
      /NFS_CORE_PARAM \{[^}]*\n {2}allow_set_io_flusher_fail = true;\n\}/,
    );
  });

  it("squashes every user and speaks NFSv4 over TCP only", () => {
    expect(conf).toContain("Squash = All_Squash;");
    expect(conf).toContain("Anonymous_Uid = 65534;");
    expect(conf).toContain("Anonymous_Gid = 65534;");
    expect(conf.match(/Protocols = 4;/g)).toHaveLength(2);
    expect(conf).toContain("Transports = TCP;");
    expect(conf).toContain(`Path = "${model.path}";`);
    expect(conf).toContain(`Pseudo = "${model.path}";`);
  });

  it("has balanced braces", () => {
    expect((conf.match(/\{/g) ?? []).length).toBe((conf.match(/\}/g) ?? []).length);
  });

  it("matches the committed snapshot", async () => {
    await expect(conf).toMatchFileSnapshot("__snapshots__/ganesha.conf");
  });
});
