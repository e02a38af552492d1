import { describe, expect, it } from 'vitest';
import { ALL_CONNS, conns, describeConns, equals, formatConns, intersect, isAll, isEmpty, NO_CONNS, subtract, union } from '../../analysis/conns';

const tcp = (s: number, e?: number) => conns('TCP', s, e);

describe('connection sets', () => {
  it('union merges overlapping and touching intervals', () => {
    expect(union(union(tcp(80, 90), tcp(91, 100)), tcp(85, 95)).TCP).toEqual([[80, 100]]);
    expect(union(tcp(80), tcp(443)).TCP).toEqual([
      [80, 80],
      [443, 443],
    ]);
  });

  it('intersect and subtract are per protocol', () => {
    const a = union(tcp(1, 100), conns('UDP', 53));
    expect(formatConns(intersect(a, union(tcp(50, 200), conns('UDP'))))).toBe('TCP 50-100,UDP 53');
    expect(formatConns(subtract(a, tcp(10, 20)))).toBe('TCP 1-9,TCP 21-100,UDP 53');
    expect(isEmpty(subtract(a, ALL_CONNS))).toBe(true);
    expect(equals(intersect(a, NO_CONNS), NO_CONNS)).toBe(true);
  });

  it('every protocol on every port is All Connections, however it was built', () => {
    const built = union(union(conns('TCP'), conns('UDP')), conns('SCTP', 1, 65535));
    expect(isAll(built)).toBe(true);
    expect(describeConns(built)).toBe('All Connections');
    expect(isAll(conns('TCP'))).toBe(false);
  });

  it('describes protocols alphabetically and ports ascending, one item per interval', () => {
    const c = union(union(union(conns('UDP', 53), tcp(8000, 8010)), tcp(80)), conns('SCTP', 9));
    expect(describeConns(c)).toEqual(['SCTP 9', 'TCP 80', 'TCP 8000-8010', 'UDP 53']);
    expect(formatConns(NO_CONNS)).toBe('No Connections');
  });
});
