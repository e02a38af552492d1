/**
 * IPv4 addresses and CIDR blocks as 32-bit unsigned integers. Used by environment validation
 * (well-formed, non-overlapping CIDRs) and by the network-policy rendering.
 */

export interface Ipv4Range {
  /** First address, as an unsigned 32-bit integer. */
  readonly start: number;
  /** Last address (inclusive). */
  readonly end: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a dotted-quad IPv4 address; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * Parses `a.b.c.d/n`. Host bits must be zero (`10.0.0.1/8` is rejected): Kubernetes accepts
 * such blocks but they almost always hide a typo, and the canonical form is what reviewers read.
 */
export function parseCidr(text: string): Ipv4Range | undefined {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const base = parseIpv4(match[1]!);
  const bits = Number(match[2]);
  if (base === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  if (base % size !== 0) return undefined;
  return { start: base, end: base + size - 1 };
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

export function overlaps(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function contains(outer: Ipv4Range, inner: Ipv4Range): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}
