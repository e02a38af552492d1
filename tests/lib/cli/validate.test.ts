/**
 * `pnpm validate` without network fails in seconds with one line suggesting `--schemas`,
 * instead of minutes of kubeconform's "failed downloading schema" retries.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEMA_LOCATION, httpOrigins, plan, probeSchemaLocations, main as validate } from '../../../lib/cli/validate';
import { UserError } from '../../../lib/errors';
import { captureIo, REPO, tempDir } from '../../support';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

const NO_PROXY_ENV: NodeJS.ProcessEnv = {};

describe('which locations are probed', () => {
  it('the HTTP origins kubeconform downloads from, "default" included; offline directories are not', () => {
    expect(DEFAULT_SCHEMA_LOCATION.startsWith('https://raw.githubusercontent.com/yannh/kubernetes-json-schema/')).toBe(true);
    expect(httpOrigins(['default', 'https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{.Group}}.json'])).toEqual([
      'https://raw.githubusercontent.com',
    ]);
    expect(httpOrigins(['http://127.0.0.1:8080/{{ .ResourceKind }}.json', '/srv/schemas', 'file.json'])).toEqual(['http://127.0.0.1:8080']);
    const schemas = tempDir('zt-schemas-');
    mkdirSync(join(schemas, 'v1.28.0-standalone-strict'));
    expect(httpOrigins(plan({ schemaLocation: [], schemas, kubernetesVersion: [] }).locations)).toEqual([]);
    expect(httpOrigins(plan({ schemaLocation: [], kubernetesVersion: [] }).locations)).toEqual(['https://raw.githubusercontent.com']);
  });
});

describe('probeSchemaLocations', () => {
  it('an unreachable location: one line suggesting --schemas (connection refused, not a timeout)', async () => {
    const port = await closedPort();
    const e = await probeSchemaLocations([`http://127.0.0.1:${port}/{{ .ResourceKind }}.json`], NO_PROXY_ENV).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toBe(
      `cannot reach the schema location http://127.0.0.1:${port} (connection refused); without network, validate against an offline schema directory: pnpm validate --schemas <dir> (or KUBECONFORM_SCHEMAS=<dir>)`,
    );
  });

  it("a reachable location passes (any listener counts; what it serves is kubeconform's business)", async () => {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(probeSchemaLocations([`http://127.0.0.1:${port}/{{ .ResourceKind }}.json`], NO_PROXY_ENV)).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('is skipped behind a proxy, which kubeconform uses and a direct connection does not', async () => {
    const port = await closedPort();
    await expect(probeSchemaLocations([`http://127.0.0.1:${port}/x.json`], { HTTPS_PROXY: 'http://proxy.example:3128' })).resolves.toBeUndefined();
  });
});

describe('pnpm validate with an unreachable schema location', () => {
  it('exits 1 with one line in seconds, before kubeconform runs', async () => {
    // A stand-in kubeconform that leaves a trace if it is ever run.
    const bin = tempDir('zt-kc-');
    const fake = join(bin, 'kubeconform');
    const ran = join(bin, 'ran');
    writeFileSync(fake, `#!/bin/sh\ntouch '${ran}'\nexit 3\n`, { mode: 0o755 });
    const port = await closedPort();
    const saved = {
      KUBECONFORM: process.env.KUBECONFORM,
      proxies: ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].map((k) => [k, process.env[k]] as const),
    };
    process.env.KUBECONFORM = fake;
    for (const [k] of saved.proxies) delete process.env[k];
    try {
      const io = captureIo();
      const code = await validate([join(REPO, 'dist'), '--schema-location', `http://127.0.0.1:${port}/{{ .ResourceKind }}.json`], io);
      expect(code).toBe(1);
      expect(io.lines.err).toEqual([
        `error: cannot reach the schema location http://127.0.0.1:${port} (connection refused); without network, validate against an offline schema directory: pnpm validate --schemas <dir> (or KUBECONFORM_SCHEMAS=<dir>)`,
      ]);
      expect(io.lines.out).toEqual([]);
      expect(existsSync(ran)).toBe(false);
    } finally {
      if (saved.KUBECONFORM === undefined) delete process.env.KUBECONFORM;
      else process.env.KUBECONFORM = saved.KUBECONFORM;
      for (const [k, v] of saved.proxies) if (v !== undefined) process.env[k] = v;
    }
  });
});
