/**
 * Which TCP addresses a set of processes listens on, read from /proc (no `ss` or `lsof` needed):
 * the sockets a process holds are `socket:[inode]` links under /proc/<pid>/fd, and
 * /proc/net/tcp{,6} maps inodes to local addresses. `pnpm e2e` checks the flags it passes
 * (e2e/flags.ts) and, once everything runs, what the processes actually bound.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One LISTEN socket: its local address as `ip:port` (`[ip6]:port`) and its inode. */
export interface Listener {
  readonly address: string;
  readonly inode: number;
}

/** TCP state 0x0A is LISTEN. */
const LISTEN = '0A';

/** An IPv4 address as /proc prints it: 4 bytes, little-endian hex. */
function ipv4(hex: string): string {
  const n = Buffer.from(hex, 'hex');
  return [n[3], n[2], n[1], n[0]].join('.');
}

/** An IPv6 address as /proc prints it (four 32-bit words, each little-endian); an IPv4-mapped one as IPv4. */
function ipv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = Buffer.from(hex.slice(i, i + 8), 'hex')
      .reverse()
      .toString('hex');
    words.push(w.slice(0, 4), w.slice(4, 8));
  }
  const mapped = words.slice(0, 5).every((w) => w === '0000') && words[5] === 'ffff';
  if (mapped) return ipv4(hex.slice(24, 32));
  return words.map((w) => w.replace(/^0+(?=.)/, '')).join(':');
}

/** LISTEN sockets of a /proc/net/tcp or /proc/net/tcp6 table. */
export function parseProcNetTcp(table: string): Listener[] {
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 9 && f[3] === LISTEN)
    .map((f) => {
      const [host, port] = f[1]!.split(':') as [string, string];
      const ip = host.length === 8 ? ipv4(host) : ipv6(host);
      const shown = ip.includes(':') ? `[${ip}]` : ip;
      return { address: `${shown}:${Number.parseInt(port, 16)}`, inode: Number(f[9]) };
    });
}

/** Whether a listener's address is a loopback one (127.0.0.0/8 or ::1). */
export const isLoopback = (address: string): boolean => /^127\.\d+\.\d+\.\d+:\d+$/.test(address) || /^\[(0:){7}1\]:\d+$/.test(address);

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // The descriptor closed between readdir and readlink.
    }
  }
  return inodes;
}

/** Every address the given processes listen on, by pid. */
export function listenersOf(pids: readonly number[]): Map<number, string[]> {
  const table = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) => parseProcNetTcp(readFileSync(f, 'utf8')));
  return new Map(
    pids.map((pid) => {
      const held = socketInodes(pid);
      return [pid, table.filter((l) => held.has(l.inode)).map((l) => l.address)];
    }),
  );
}
