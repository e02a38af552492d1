import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { forward, parseRoutes } from '../../e2e/forward';

describe('parseRoutes', () => {
  it('reads one route a line, skipping blank lines and comments', () => {
    expect(parseRoutes('# pods\n10.0.0.4:10250 10251\n\n10.0.0.5:10250 10252\n')).toEqual([
      { host: '10.0.0.4', port: 10250, target: 10251 },
      { host: '10.0.0.5', port: 10250, target: 10252 },
    ]);
  });
  it('names a malformed line', () => {
    expect(() => parseRoutes('10.0.0.4 10251')).toThrow("forward: malformed route '10.0.0.4 10251' (expected '<ip>:<port> <target port>')");
  });
});

describe('forward', () => {
  it('pipes a connection to the target port on 127.0.0.1, both ways', async () => {
    const echo = createServer((s) => s.on('data', (d) => s.write(`echo:${d}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const target = (echo.address() as { port: number }).port;
    const fwd = await forward({ host: '127.0.0.1', port: 0, target });
    const port = (fwd.address() as { port: number }).port;
    const reply = await new Promise<string>((res, rej) => {
      const c = connect(port, '127.0.0.1', () => c.write('ping'));
      c.on('data', (d) => {
        res(String(d));
        c.destroy();
      });
      c.on('error', rej);
    });
    expect(reply).toBe('echo:ping');
    fwd.close();
    echo.close();
  });
});
