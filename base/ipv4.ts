/**
 * IPv4 and CIDR parsing, written once for the renderers, the config schema, the lab and the
 * components. Parsed, never pattern-matched alone: "300.1.2.3" or "0.0.0.0/00" must not pass as a
 * bounded range because a regular expression liked their shape.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  /** Prefix length, 0..32. */
  readonly prefix: number;
}

export interface ParseOptions {
  /**
   * Accept only the canonical spelling: no leading zeros in an octet ("010.0.0.1") and no
   * surrounding whitespace. glibc's inet_pton, which keepalived uses, rejects leading zeros, so a
   * value written into keepalived.conf must be canonical. Default false (leading zeros read as
   * decimal, whitespace trimmed), which is what the config schema has always accepted.
   */
  readonly canonical?: boolean;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

function octetsOf(text: string, canonical: boolean): number[] | undefined {
  const m = DOTTED.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1, 5);
  if (canonical && parts.some((o) => String(Number(o)) !== o)) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** Parses "a.b.c.d" into an unsigned 32-bit number; undefined when malformed. */
export function parseIpv4(text: string, opts: ParseOptions = {}): number | undefined {
  const octets = octetsOf(opts.canonical ? text : text.trim(), opts.canonical ?? false);
  return octets
    ? ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0
    : undefined;
}

/** Parses "a.b.c.d/n" strictly (n is one or two digits, at most 32); undefined when malformed. */
export function parseCidr(cidr: string, opts: ParseOptions = {}): Cidr | undefined {
  const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\/(\d{1,2})$/.exec(
    opts.canonical ? cidr : cidr.trim(),
  );
  if (!m) return undefined;
  const base = parseIpv4(m[1], opts);
  const prefix = Number(m[2]);
  return base === undefined || prefix > 32 ? undefined : { base, prefix };
}

/** The netmask of a prefix length as an unsigned number (0 for /0). */
export function netmask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

/** True when the address has no bits set beyond the prefix (10.42.0.0/16, not 10.42.0.1/16). */
export function isNetworkAddress(c: Cidr): boolean {
  return (c.base & netmask(c.prefix)) >>> 0 === c.base;
}

/** "a.b.c.d" of an unsigned 32-bit number. */
export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** "a.b.c.d/n" of a parsed CIDR. */
export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

/**
 * True for an IPv4 literal or a DNS host name: what may be interpolated into shell or a config
 * file as an address. All-numeric dotted names are malformed addresses (999.1.1.1), not host names.
 */
export function isIpv4OrHostName(text: string): boolean {
  if (DOTTED.test(text)) return parseIpv4(text) !== undefined;
  return HOSTNAME.test(text) && !/^[\d.]+$/.test(text);
}
