/**
 * Sets of connections (protocol x port) as sorted, disjoint, non-touching port intervals per
 * protocol. Immutable: every operation returns a new set (or one of its arguments unchanged).
 */

export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

type Interval = readonly [number, number];
type Intervals = readonly Interval[];

const MIN_PORT = 1;
const MAX_PORT = 65535;
const FULL: Intervals = [[MIN_PORT, MAX_PORT]];

export interface ConnSet {
  readonly SCTP: Intervals;
  readonly TCP: Intervals;
  readonly UDP: Intervals;
}

export const NO_CONNS: ConnSet = { SCTP: [], TCP: [], UDP: [] };
export const ALL_CONNS: ConnSet = { SCTP: FULL, TCP: FULL, UDP: FULL };
export const ALL_CONNECTIONS = 'All Connections';

/** Connections on one protocol, ports `start`..`end` (the whole protocol when no port is given). */
export function conns(protocol: Protocol, start?: number, end?: number): ConnSet {
  return { ...NO_CONNS, [protocol]: start === undefined ? FULL : [[start, end ?? start]] };
}

function normalize(list: Interval[]): Interval[] {
  list.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of list) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function unionIntervals(a: Intervals, b: Intervals): Intervals {
  if (b.length === 0 || a === b) return a;
  if (a.length === 0) return b;
  return normalize([...a, ...b]);
}

function intersectIntervals(a: Intervals, b: Intervals): Intervals {
  if (a.length === 0 || b.length === 0) return [];
  if (a === FULL || a === b) return b;
  if (b === FULL) return a;
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i]![0], b[j]![0]);
    const e = Math.min(a[i]![1], b[j]![1]);
    if (s <= e) out.push([s, e]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

function subtractIntervals(a: Intervals, b: Intervals): Intervals {
  if (a.length === 0 || b.length === 0) return a;
  const out: Interval[] = [];
  for (const [s0, e] of a) {
    let s = s0;
    for (const [bs, be] of b) {
      if (be < s || bs > e) continue;
      if (bs > s) out.push([s, bs - 1]);
      s = be + 1;
      if (s > e) break;
    }
    if (s <= e) out.push([s, e]);
  }
  return out;
}

const map =
  (f: (a: Intervals, b: Intervals) => Intervals) =>
  (a: ConnSet, b: ConnSet): ConnSet => {
    const SCTP = f(a.SCTP, b.SCTP);
    const TCP = f(a.TCP, b.TCP);
    const UDP = f(a.UDP, b.UDP);
    if (SCTP === a.SCTP && TCP === a.TCP && UDP === a.UDP) return a;
    if (SCTP === b.SCTP && TCP === b.TCP && UDP === b.UDP) return b;
    return { SCTP, TCP, UDP };
  };

export const union = map(unionIntervals);
export const intersect = map(intersectIntervals);
export const subtract = map(subtractIntervals);

export function isEmpty(c: ConnSet): boolean {
  return c.SCTP.length === 0 && c.TCP.length === 0 && c.UDP.length === 0;
}

const isFull = (i: Intervals) => i.length === 1 && i[0]![0] === MIN_PORT && i[0]![1] === MAX_PORT;

export function isAll(c: ConnSet): boolean {
  return c === ALL_CONNS || (isFull(c.SCTP) && isFull(c.TCP) && isFull(c.UDP));
}

export function equals(a: ConnSet, b: ConnSet): boolean {
  return PROTOCOLS.every((p) => a[p].length === b[p].length && a[p].every((iv, k) => iv[0] === b[p][k]![0] && iv[1] === b[p][k]![1]));
}

/**
 * np-guard's wording: `All Connections`, or one `PROTO port` / `PROTO start-end` item per
 * interval, protocols in alphabetical order (SCTP, TCP, UDP) as np-guard sorts them, ports
 * ascending. Every item carries its protocol so the JSON array items stand alone.
 */
export function describeConns(c: ConnSet): typeof ALL_CONNECTIONS | string[] {
  if (isAll(c)) return ALL_CONNECTIONS;
  return PROTOCOLS.flatMap((p) => c[p].map(([s, e]) => `${p} ${s === e ? s : `${s}-${e}`}`));
}

/** The one-line form: `All Connections`, `TCP 80,UDP 53`, or `No Connections`. */
export function formatConns(c: ConnSet): string {
  const d = describeConns(c);
  if (typeof d === 'string') return d;
  return d.length ? d.join(',') : 'No Connections';
}
