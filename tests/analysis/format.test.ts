import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../analysis/analyze';
import { ALL_CONNS, conns } from '../../analysis/conns';
import { connectionLines, formatJson, formatPieces, formatText } from '../../analysis/format';
import { parseBlock } from '../../analysis/ip';
import type { Workload } from '../../analysis/model';

const w = (ns: string, name: string, kind = 'Deployment'): Workload => ({ id: `${ns}/${name}[${kind}]`, namespace: ns, name, kind, labels: {}, ports: [] });
const r = (cidr: string) => parseBlock(cidr) as { start: number; end: number };

describe('np-guard list output', () => {
  const a = w('b', 'a');
  const z = w('a', 'z', 'Pod');
  const analysis: Analysis = {
    workloads: [a, z],
    ranges: [r('0.0.0.0/5'), r('8.0.0.0/5'), r('16.0.0.0/4')],
    connections: [
      { src: { kind: 'workload', workload: a }, dst: { kind: 'range', range: r('16.0.0.0/4') }, conns: conns('TCP', 443) },
      { src: { kind: 'workload', workload: a }, dst: { kind: 'range', range: r('0.0.0.0/5') }, conns: conns('TCP', 443) },
      { src: { kind: 'workload', workload: a }, dst: { kind: 'range', range: r('8.0.0.0/5') }, conns: conns('UDP', 53) },
      { src: { kind: 'range', range: r('8.0.0.0/5') }, dst: { kind: 'workload', workload: z }, conns: ALL_CONNS },
      { src: { kind: 'workload', workload: z }, dst: { kind: 'workload', workload: a }, conns: conns('TCP', 80, 81) },
    ],
  };

  it('joins ranges with the same connections to the same workload, ascending, and sorts lines by src then dst', () => {
    expect(formatText(connectionLines(analysis)).split('\n')).toEqual([
      '8.0.0.0-15.255.255.255 => a/z[Pod] : All Connections',
      'a/z[Pod] => b/a[Deployment] : TCP 80-81',
      'b/a[Deployment] => 0.0.0.0-7.255.255.255,16.0.0.0-31.255.255.255 : TCP 443',
      'b/a[Deployment] => 8.0.0.0-15.255.255.255 : UDP 53',
    ]);
  });

  it('JSON: an array of {src, dst, conns}, conns a string for All Connections and a list otherwise', () => {
    const json = JSON.parse(formatJson(connectionLines(analysis)));
    expect(json[0]).toEqual({ src: '8.0.0.0-15.255.255.255', dst: 'a/z[Pod]', conns: 'All Connections' });
    expect(json[1]).toEqual({ src: 'a/z[Pod]', dst: 'b/a[Deployment]', conns: ['TCP 80-81'] });
    expect(json.map((l: { src: string }) => Object.keys(l))).toEqual(Array(4).fill(['src', 'dst', 'conns']));
  });

  it('in pieces (how the CLI writes a large output): the pieces joined by newlines are exactly the whole text or JSON', () => {
    const lines = connectionLines(analysis);
    for (const size of [1, 2, 3, 4, 10]) {
      expect([...formatPieces(lines, false, size)].join('\n')).toBe(formatText(lines));
      expect([...formatPieces(lines, true, size)].join('\n')).toBe(formatJson(lines));
    }
    expect([...formatPieces([], true)]).toEqual([formatJson([])]);
    expect([...formatPieces([], false)]).toEqual([]);
  });
});
