/**
 * Output in np-guard netpol-analyzer `list` conventions: `src => dst : conns` lines where a
 * workload is `namespace/name[Kind]` and outside addresses are ascending `start-end` ranges,
 * comma-joined when several ranges have the same connections with the same workload.
 */
import type { Analysis, Endpoint } from './analyze';
import { type ConnSet, describeConns, formatConns } from './conns';
import { formatRange, type Ipv4Range } from './ip';

export interface ConnectionLine {
  readonly src: string;
  readonly dst: string;
  readonly conns: 'All Connections' | string[];
}

const name = (e: Endpoint) => (e.kind === 'workload' ? e.workload.id : formatRange(e.range));
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The connections of an analysis as lines, ranges grouped, sorted by src then dst. */
export function connectionLines(analysis: Analysis): ConnectionLine[] {
  const out: ConnectionLine[] = [];
  const grouped = new Map<string, { src?: string; dst?: string; conns: ConnSet; ranges: Ipv4Range[] }>();
  for (const c of analysis.connections) {
    if (c.src.kind === 'workload' && c.dst.kind === 'workload') {
      out.push({ src: name(c.src), dst: name(c.dst), conns: describeConns(c.conns) });
      continue;
    }
    const range = c.src.kind === 'range' ? c.src.range : (c.dst as Extract<Endpoint, { kind: 'range' }>).range;
    const workload = c.src.kind === 'range' ? { dst: name(c.dst) } : { src: name(c.src) };
    const key = `${workload.src ?? ''}|${workload.dst ?? ''}|${formatConns(c.conns)}`;
    const g = grouped.get(key) ?? { ...workload, conns: c.conns, ranges: [] };
    g.ranges.push(range);
    grouped.set(key, g);
  }
  for (const g of grouped.values()) {
    const ranges = [...g.ranges]
      .sort((a, b) => a.start - b.start)
      .map(formatRange)
      .join(',');
    out.push({ src: g.src ?? ranges, dst: g.dst ?? ranges, conns: describeConns(g.conns) });
  }
  return out.sort((a, b) => byText(a.src, b.src) || byText(a.dst, b.dst));
}

export const connsText = (c: ConnectionLine['conns']) => (typeof c === 'string' ? c : c.join(','));

/** `src => dst : conns`, one per line. */
export function formatText(lines: readonly ConnectionLine[]): string {
  return lines.map((l) => `${l.src} => ${l.dst} : ${connsText(l.conns)}`).join('\n');
}

/** A JSON array of `{ src, dst, conns }`, two-space indented. */
export function formatJson(lines: readonly ConnectionLine[]): string {
  return JSON.stringify(
    lines.map((l) => ({ src: l.src, dst: l.dst, conns: l.conns })),
    null,
    2,
  );
}

/**
 * {@link formatText} or {@link formatJson} in pieces of at most `size` lines, for output written
 * as it is produced; the pieces joined with newlines are exactly the whole text.
 */
export function* formatPieces(lines: readonly ConnectionLine[], json: boolean, size = 10_000): Generator<string> {
  if (json && lines.length === 0) yield '[]';
  for (let i = 0; i < lines.length; i += size) {
    const slice = lines.slice(i, i + size);
    if (!json) {
      yield formatText(slice);
      continue;
    }
    // The array's items without its brackets: `  {...},\n  {...}`.
    const items = formatJson(slice).slice(2, -2);
    yield `${i === 0 ? '[\n' : ''}${items}${i + size >= lines.length ? '\n]' : ','}`;
  }
}
