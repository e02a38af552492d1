import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopback, listenersOf, parseProcNetTcp } from '../../e2e/listeners';

// Lines as the kernel prints them (header, then sl, local, remote, state, ..., inode).
const TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0',
  '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0',
  '   2: 0100007F:0CEA 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 20 4 30 10 -1',
].join('\n');
const TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000000000000000000001000000:1A0B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0',
  '   1: 00000000000000000000000000000000:1A0C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0',
  '   2: 0000000000000000FFFF00000100007F:1A0D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6666 1 0000000000000000 100 0 0 10 0',
].join('\n');

describe('parseProcNetTcp', () => {
  it('decodes LISTEN sockets only, IPv4 and IPv6 (IPv4-mapped as IPv4)', () => {
    expect(parseProcNetTcp(TCP)).toEqual([
      { address: '127.0.0.1:3306', inode: 1111 },
      { address: '0.0.0.0:8080', inode: 2222 },
    ]);
    expect(parseProcNetTcp(TCP6)).toEqual([
      { address: '[0:0:0:0:0:0:0:1]:6667', inode: 4444 },
      { address: '[0:0:0:0:0:0:0:0]:6668', inode: 5555 },
      { address: '127.0.0.1:6669', inode: 6666 },
    ]);
  });

  it('calls loopback only 127.0.0.0/8 and ::1', () => {
    const addresses = [...parseProcNetTcp(TCP), ...parseProcNetTcp(TCP6)].map((l) => l.address);
    expect(addresses.filter(isLoopback)).toEqual(['127.0.0.1:3306', '[0:0:0:0:0:0:0:1]:6667', '127.0.0.1:6669']);
  });
});

describe('listenersOf', () => {
  it("finds this process's own listener on 127.0.0.1 from /proc", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      expect(listenersOf([process.pid]).get(process.pid)).toContain(`127.0.0.1:${port}`);
    } finally {
      server.close();
    }
  });
});
