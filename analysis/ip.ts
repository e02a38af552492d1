/**
 * The address space outside the cluster as IPv4 ranges. np-guard's convention: every ipBlock
 * boundary (cidr and except) that appears in any policy splits 0.0.0.0-255.255.255.255, so each
 * resulting range is either wholly inside or wholly outside every block, and a block matches a
 * range exactly when it contains it.
 */
import { contains, formatIpv4, type Ipv4Range, overlaps, parseIpv4 } from '../lib/cidr';

export type { Ipv4Range };

const MAX_IPV4 = 2 ** 32 - 1;
export const ALL_IPV4: Ipv4Range = { start: 0, end: MAX_IPV4 };

/**
 * Parses an ipBlock CIDR as the API server does: host bits are allowed and masked off. Returns
 * `'ipv6'` for an IPv6 block (it can match no IPv4 address) and undefined when it is no CIDR.
 */
export function parseBlock(text: string): Ipv4Range | 'ipv6' | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match) return undefined;
  const bits = Number(match[2]);
  if (match[1]!.includes(':')) return /^[0-9a-fA-F:.]+$/.test(match[1]!) && bits <= 128 ? 'ipv6' : undefined;
  const base = parseIpv4(match[1]!);
  if (base === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return { start, end: start + size - 1 };
}

/** An ipBlock: the addresses of `cidr` outside every `except`. */
export interface IpBlock {
  readonly cidr: Ipv4Range;
  readonly except: readonly Ipv4Range[];
}

/** Whether an atomic range (one produced by {@link splitAddressSpace}) lies inside the block. */
export function blockContains(block: IpBlock, range: Ipv4Range): boolean {
  return contains(block.cidr, range) && !block.except.some((e) => overlaps(e, range));
}

/** Splits 0.0.0.0-255.255.255.255 at every boundary of `ranges`; ascending, covering it all. */
export function splitAddressSpace(ranges: readonly Ipv4Range[]): Ipv4Range[] {
  const cuts = new Set<number>([0]);
  for (const r of ranges) {
    cuts.add(r.start);
    if (r.end < MAX_IPV4) cuts.add(r.end + 1);
  }
  const starts = [...cuts].sort((a, b) => a - b);
  return starts.map((start, i) => ({ start, end: i + 1 < starts.length ? starts[i + 1]! - 1 : MAX_IPV4 }));
}

/** `start-end`, always both ends (np-guard writes a single address as `a-a`). */
export function formatRange(r: Ipv4Range): string {
  return `${formatIpv4(r.start)}-${formatIpv4(r.end)}`;
}
