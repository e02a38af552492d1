import { describe, expect, it } from 'vitest';
import { ALL_IPV4, blockContains, formatRange, parseBlock, splitAddressSpace } from '../../analysis/ip';

describe('IPv4 ranges', () => {
  it('parses ipBlock CIDRs leniently, masking host bits, and recognizes IPv6', () => {
    expect(parseBlock('10.1.2.3/8')).toEqual(parseBlock('10.0.0.0/8'));
    expect(formatRange(parseBlock('10.0.0.0/8') as never)).toBe('10.0.0.0-10.255.255.255');
    expect(parseBlock('fd00::/8')).toBe('ipv6');
    expect(parseBlock('10.0.0.0')).toBeUndefined();
    expect(parseBlock('300.0.0.0/8')).toBeUndefined();
  });

  it('splits the address space at every boundary, covering it without gaps', () => {
    const ranges = splitAddressSpace([parseBlock('10.0.0.0/8') as never, parseBlock('10.1.0.0/16') as never, parseBlock('0.0.0.0/0') as never]);
    expect(ranges.map(formatRange)).toEqual([
      '0.0.0.0-9.255.255.255',
      '10.0.0.0-10.0.255.255',
      '10.1.0.0-10.1.255.255',
      '10.2.0.0-10.255.255.255',
      '11.0.0.0-255.255.255.255',
    ]);
    expect(splitAddressSpace([])).toEqual([ALL_IPV4]);
  });

  it('a block contains an atomic range unless an except covers it', () => {
    const block = { cidr: parseBlock('10.0.0.0/8') as never, except: [parseBlock('10.1.0.0/16') as never] };
    const ranges = splitAddressSpace([block.cidr, ...block.except]);
    expect(ranges.filter((r) => blockContains(block, r)).map(formatRange)).toEqual(['10.0.0.0-10.0.255.255', '10.2.0.0-10.255.255.255']);
  });
});
