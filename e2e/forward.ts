/**
 * Tier 2's webhook forwarder (docs/e2e.md, "Tier 2"). cert-manager's and External Secrets'
 * webhooks both serve on port 10250 of their Pods (the port EKS opens from the control plane to
 * nodes), and both bind every address, so two of them cannot share the one loopback-only network
 * namespace of the test. Each runs instead on a local port of its own, and this forwards
 * `<Pod IP>:10250`, which the API server dials (--enable-aggregator-routing: endpoints, not
 * ClusterIPs), to the right one.
 *
 *   tsx e2e/forward.ts <routes file>
 *
 * The routes file holds lines `<listen ip>:<port> <target port on 127.0.0.1>`; it is read again
 * every second, so routes for Pods created later are added while running. Routes are never
 * removed (a deleted Pod's IP stays on `lo` until the test ends).
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';

export interface Route {
  readonly host: string;
  readonly port: number;
  readonly target: number;
}

/** The routes of a routes file; a malformed line is an error naming it. */
export function parseRoutes(text: string): Route[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5}) (\d{1,5})$/.exec(l);
      if (!m) throw new Error(`forward: malformed route '${l}' (expected '<ip>:<port> <target port>')`);
      return { host: m[1], port: Number(m[2]), target: Number(m[3]) };
    });
}

/** Listens on `route.host:route.port` and pipes each connection to 127.0.0.1:`route.target`. */
export function forward(route: Route): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(route.target, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(route.port, route.host, () => res(server));
  });
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx e2e/forward.ts <routes file>');
    process.exit(2);
  }
  const open = new Set<string>();
  const tick = async () => {
    const routes = existsSync(file) ? parseRoutes(readFileSync(file, 'utf8')) : [];
    for (const r of routes) {
      const key = `${r.host}:${r.port}`;
      if (open.has(key)) continue;
      open.add(key);
      try {
        await forward(r);
        console.log(`forward: ${key} -> 127.0.0.1:${r.target}`);
      } catch (e) {
        // The address may not be on `lo` yet: try again on the next read.
        open.delete(key);
        console.log(`forward: ${key}: ${(e as Error).message}; retrying`);
      }
    }
  };
  setInterval(() => void tick().catch((e) => console.error(`forward: ${(e as Error).message}`)), 1000);
  void tick();
}
