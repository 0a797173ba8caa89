/**
 * The IPv4 CIDR reading the network policies need. The pack's own copy of base/ipv4.ts's
 * parseCidr/netmask (default options): a published pack is loaded from this folder alone, so it
 * imports nothing outside it; test/policy/selfContained.test.ts holds the two readings equal.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  /** Prefix length, 0..32. */
  readonly prefix: number;
}

/** Parses "a.b.c.d" (surrounding whitespace trimmed) into an unsigned 32-bit number; undefined when malformed. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (!octets.every((o) => o <= 255)) return undefined;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

/** Parses "a.b.c.d/n" strictly (n is one or two digits, at most 32); undefined when malformed. */
export function parseCidr(cidr: string): Cidr | undefined {
  const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const base = parseIpv4(m[1]);
  const prefix = Number(m[2]);
  return base === undefined || prefix > 32 ? undefined : { base, prefix };
}

/** The netmask of a prefix length as an unsigned number (0 for /0). */
export function netmask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}
