import { describe, expect, it } from "vitest";
import {
  formatCidr,
  isIpv4OrHostName,
  isNetworkAddress,
  netmask,
  parseCidr,
  parseIpv4,
} from "../../base/ipv4";

describe("parseIpv4", () => {
  it("refuses what is not four decimal octets up to 255", () => {
    for (const bad of [
      "",
      "10.0.0",
      "10.0.0.0.1",
      "256.0.0.1",
      "1.2.3.1000",
      "a.b.c.d",
      "10.0.0.-1",
      "1.2.3.4/32",
    ]) {
      expect(parseIpv4(bad), bad).toBeUndefined();
    }
  });
  it("reads addresses as unsigned numbers", () => {
    expect(parseIpv4("10.42.0.1")).toBe(0x0a2a0001);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIpv4("0.0.0.0")).toBe(0);
  });
  it("canonical refuses leading zeros and whitespace (keepalived's inet_pton does)", () => {
    expect(parseIpv4("010.0.0.1", { canonical: true })).toBeUndefined();
    expect(parseIpv4(" 10.0.0.1", { canonical: true })).toBeUndefined();
    expect(parseIpv4("010.0.0.1")).toBe(0x0a000001);
    expect(parseIpv4(" 10.0.0.1 ")).toBe(0x0a000001);
  });
});

describe("parseCidr", () => {
  it("refuses malformed ranges", () => {
    for (const bad of [
      "10.42.0/16",
      "10.42.0.0/",
      "10.42.0.0/33",
      "256.0.0.0/8",
      "a.b.c.d/8",
      "10.42.0.0/16/1",
      "10.42.0.0",
      "10.42.0.0/123",
      "10.42.0.0 /16",
    ]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });
  it("parses strictly", () => {
    expect(parseCidr("10.42.0.0/16")).toEqual({ base: 0x0a2a0000, prefix: 16 });
    expect(parseCidr("255.255.255.255/32")).toEqual({ base: 0xffffffff, prefix: 32 });
    expect(parseCidr(" 10.42.0.0/16 ")).toEqual({ base: 0x0a2a0000, prefix: 16 });
  });
  it("reads 0.0.0.0/00 as /0, so every /0 check sees the whole internet", () => {
    expect(parseCidr("0.0.0.0/00")).toEqual({ base: 0, prefix: 0 });
  });
  it("canonical refuses leading zeros and surrounding whitespace", () => {
    expect(parseCidr("172.028.0.100/24", { canonical: true })).toBeUndefined();
    expect(parseCidr("172.28.0.100/24 ", { canonical: true })).toBeUndefined();
    expect(parseCidr("172.28.0.100/24", { canonical: true })).toEqual({
      base: 0xac1c0064,
      prefix: 24,
    });
  });
});

describe("network addresses", () => {
  it("finds host bits", () => {
    expect(isNetworkAddress(parseCidr("10.42.0.1/16")!)).toBe(false);
    expect(isNetworkAddress(parseCidr("10.43.0.0/15")!)).toBe(false);
    expect(isNetworkAddress(parseCidr("10.42.0.0/16")!)).toBe(true);
    expect(isNetworkAddress(parseCidr("0.0.0.0/0")!)).toBe(true);
    expect(isNetworkAddress(parseCidr("1.0.0.0/0")!)).toBe(false);
  });
  it("masks and formats", () => {
    expect(netmask(0)).toBe(0);
    expect(netmask(24)).toBe(0xffffff00);
    expect(netmask(32)).toBe(0xffffffff);
    expect(formatCidr({ base: 0x0a2a2000, prefix: 19 })).toBe("10.42.32.0/19");
  });
});

describe("isIpv4OrHostName", () => {
  it("refuses what could break out of a shell word or a config line", () => {
    for (const bad of [
      "999.1.1.1",
      "1.2.3",
      "a b",
      "host;rm -rf /",
      "$(id)",
      "-host",
      "host-",
      "",
      "1.2.3.4 ",
      "10.0.0.1/8",
    ]) {
      expect(isIpv4OrHostName(bad), bad).toBe(false);
    }
  });
  it("accepts IPv4 literals and DNS names", () => {
    for (const ok of ["10.0.0.1", "manager-0", "ip-10-0-0-1.eu-west-1.compute.internal", "was"]) {
      expect(isIpv4OrHostName(ok), ok).toBe(true);
    }
  });
});
