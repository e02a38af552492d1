/**
 * Upstream CRDs a chart lacks (lib/charts/crds.ts): the lock, reading a bundle offline (every
 * problem one line), fetching with a stand-in fetch, and synth delivering them into dist/ and
 * reusing them from the previous output without the CRDs directory.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkBundle,
  crdsRenderedFrom,
  fileDigest,
  formatCrdLock,
  lockCrdsDirectory,
  pullCrds,
  readCrdLock,
  readCrds,
  verifyCrds,
} from '../../lib/charts/crds';
import type { Component, UpstreamCrds } from '../../lib/component';
import { UserError } from '../../lib/errors';
import { loadEnvironments } from '../../lib/load';
import { type ApiObject, fileNameFor } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';
import { ESO_CRDS, externalSecrets } from '../../platform/external-secrets';
import { crdBundlesOf, PLATFORM } from '../../platform/registry';
import { TAILSCALE_CRDS } from '../../platform/tailscale-operator';
import { GATEWAY_API_CRDS } from '../../platform/vpc-lattice';
import { REPO, tempDir } from './helpers';

const WIDGET = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: { kind: Widget, plural: widgets }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object } }
`;

const BUNDLE: UpstreamCrds = { name: 'widgets', baseUrl: 'https://example.com/widgets/abc123', files: ['widgets.yaml'] };
const URL = 'https://example.com/widgets/abc123/widgets.yaml';

/** A CRDs directory with the widgets bundle, and a lock of its content. */
function fixture(content = WIDGET) {
  const dir = tempDir('zt-crds-');
  mkdirSync(join(dir, 'widgets'));
  writeFileSync(join(dir, 'widgets', 'widgets.yaml'), content);
  return { dir, lock: { crds: [{ url: URL, digest: fileDigest(content) }] } };
}

describe('readCrds', () => {
  it('reads a locked bundle: the CustomResourceDefinitions of its files', () => {
    const { dir, lock } = fixture();
    const crds = readCrds(BUNDLE, dir, lock);
    expect(crds.map((c) => [c.kind, c.metadata.name, c.spec.versions.map((v) => v.name)])).toEqual([
      ['CustomResourceDefinition', 'widgets.example.com', ['v1']],
    ]);
    // Shared and frozen: nobody can change the bundle for the next environment.
    expect(() => {
      (crds[0]!.metadata as { name: string }).name = 'x';
    }).toThrow(TypeError);
  });

  it('every problem is one line naming the file and what to run', () => {
    const { dir, lock } = fixture();
    const missing = join(tempDir(), 'nothing');
    expect(() => readCrds(BUNDLE, missing, lock)).toThrow(
      new UserError(`CRD file widgets/widgets.yaml not found: ${join(missing, 'widgets', 'widgets.yaml')} does not exist (run pnpm charts pull)`),
    );
    expect(() => readCrds(BUNDLE, dir, { crds: [] })).toThrow(new UserError(`CRD file ${URL} is not in crds.lock.json (run pnpm charts pull)`));
    writeFileSync(join(dir, 'widgets', 'widgets.yaml'), `${WIDGET}# edited\n`);
    expect(() => readCrds(BUNDLE, dir, lock)).toThrow(
      new UserError(
        `CRD file ${join(dir, 'widgets', 'widgets.yaml')}: digest ${fileDigest(`${WIDGET}# edited\n`)} does not match crds.lock.json (${lock.crds[0]!.digest})`,
      ),
    );
    const notCrd = fixture('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
    expect(() => readCrds(BUNDLE, notCrd.dir, notCrd.lock)).toThrow(
      new UserError(
        `CRD file ${join(notCrd.dir, 'widgets', 'widgets.yaml')}: document 1 is v1/ConfigMap, not an apiextensions.k8s.io/v1 CustomResourceDefinition`,
      ),
    );
  });

  it('a malformed bundle is a bug in the component', () => {
    expect(() => checkBundle({ ...BUNDLE, baseUrl: 'http://example.com/x' })).toThrow(/^internal: CRD bundle widgets: baseUrl "http:\/\/example.com\/x"/);
    expect(() => checkBundle({ ...BUNDLE, files: ['../escape.yaml'] })).toThrow('internal: CRD bundle widgets: "../escape.yaml" is not a .yaml file name');
    expect(() => checkBundle({ ...BUNDLE, name: 'Widgets' })).toThrow('internal: CRD bundle name "Widgets" is not a DNS label');
  });
});

describe('crds.lock.json', () => {
  it('is sorted 2-space JSON, read back as written; malformed ones are one line', () => {
    const file = join(tempDir(), 'crds.lock.json');
    const entries = [
      { url: 'https://b.example/x.yaml', digest: `sha256:${'b'.repeat(64)}` },
      { url: 'https://a.example/x.yaml', digest: `sha256:${'a'.repeat(64)}` },
    ];
    writeFileSync(file, formatCrdLock(entries));
    expect(readCrdLock(file).crds.map((c) => c.url)).toEqual(['https://a.example/x.yaml', 'https://b.example/x.yaml']);
    writeFileSync(file, JSON.stringify({ crds: [{ url: 'https://a.example/x.yaml', digest: 'md5:1' }] }));
    expect(() => readCrdLock(file)).toThrow(new UserError(`${file}: crds[0].digest "md5:1" is not sha256:<64 hex digits>`));
    const absent = join(tempDir(), 'none.json');
    expect(() => readCrdLock(absent)).toThrow(new UserError(`${absent} does not exist (run pnpm charts pull, or pnpm charts lock --crds-dir <dir>)`));
  });

  it('renderedFrom follows the locked digests, and is undefined for an unlocked file', () => {
    const { lock } = fixture();
    const a = crdsRenderedFrom(BUNDLE, lock)!;
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(crdsRenderedFrom(BUNDLE, { crds: [{ url: URL, digest: fileDigest('other') }] })).not.toBe(a);
    expect(crdsRenderedFrom(BUNDLE, { crds: [] })).toBeUndefined();
  });

  it('the real lock pins exactly the files of the bundles registered components deliver (external-secrets, gateway-api, tailscale), the environments use no other, and the shared copies match it', async () => {
    const lock = readCrdLock(join(REPO, 'crds.lock.json'));
    // Every bundle of the registry: vpc-lattice's is used only by the units of multi-cluster environments.
    const bundles = [...new Map((PLATFORM as readonly Component[]).flatMap((c) => (c.crds ? [[c.crds.name, c.crds] as const] : []))).values()].sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    expect(bundles).toEqual([ESO_CRDS, GATEWAY_API_CRDS, TAILSCALE_CRDS]);
    for (const used of crdBundlesOf(await loadEnvironments())) expect(bundles).toContainEqual(used);
    expect(lock.crds.map((c) => c.url).sort()).toEqual(bundles.flatMap((b) => b.files.map((f) => `${b.baseUrl}/${f}`)).sort());
    for (const b of bundles) {
      expect(b.baseUrl).toMatch(/\/[0-9a-f]{40}\//); // an immutable ref: a commit
      expect(lockCrdsDirectory([b], process.env.ZT_CRDS_DIR!)).toEqual(b.files.map((f) => lock.crds.find((c) => c.url === `${b.baseUrl}/${f}`)));
    }
    expect(verifyCrds(bundles, process.env.ZT_CRDS_DIR!, lock)).toEqual({ ok: 22, errors: [] });
  });
});

describe('pullCrds', () => {
  const stand = (bodies: Record<string, string>, calls: string[]) => async (url: string) => {
    calls.push(url);
    const body = bodies[url];
    return {
      ok: body !== undefined,
      status: body === undefined ? 404 : 200,
      arrayBuffer: async () => new TextEncoder().encode(body ?? '').buffer as ArrayBuffer,
    };
  };

  it('fetches into the directory and locks; then nothing is fetched; a changed file is refused unless --update', async () => {
    const dir = join(tempDir(), 'crds');
    const lockFile = join(tempDir(), 'crds.lock.json');
    const calls: string[] = [];
    const first = await pullCrds([BUNDLE], { crdsDir: dir, lockFile, fetch: stand({ [URL]: WIDGET }, calls) });
    expect(first.pulled).toEqual([{ url: URL, digest: fileDigest(WIDGET) }]);
    expect(readFileSync(join(dir, 'widgets', 'widgets.yaml'), 'utf8')).toBe(WIDGET);
    expect(readCrdLock(lockFile).crds).toEqual([{ url: URL, digest: fileDigest(WIDGET) }]);

    const again = await pullCrds([BUNDLE], { crdsDir: dir, lockFile, fetch: stand({ [URL]: WIDGET }, calls) });
    expect(again.current.length).toBe(1);
    expect(calls).toEqual([URL]);

    rmSync(join(dir, 'widgets'), { recursive: true });
    const changed = `${WIDGET}# re-published\n`;
    await expect(pullCrds([BUNDLE], { crdsDir: dir, lockFile, fetch: stand({ [URL]: changed }, calls) })).rejects.toThrow(
      new UserError(
        `CRD file ${URL}: digest ${fileDigest(changed)} does not match crds.lock.json (${fileDigest(WIDGET)}); if the new content is expected, run pnpm charts pull --update`,
      ),
    );
    expect(existsSync(join(dir, 'widgets', 'widgets.yaml'))).toBe(false);
    await pullCrds([BUNDLE], { crdsDir: dir, lockFile, update: true, fetch: stand({ [URL]: changed }, calls) });
    expect(readCrdLock(lockFile).crds).toEqual([{ url: URL, digest: fileDigest(changed) }]);
  });

  it('a failed download is one line', async () => {
    await expect(pullCrds([BUNDLE], { crdsDir: join(tempDir(), 'c'), lockFile: join(tempDir(), 'l.json'), fetch: stand({}, []) })).rejects.toThrow(
      new UserError(`CRD file ${URL}: download failed: HTTP 404`),
    );
  });
});

describe('synth delivers a component’s CRDs', async () => {
  const envs = await loadEnvironments();
  const dev = envs.find((e) => e.name === 'dev')!;
  const eso = (objects: ReturnType<typeof renderEnvironment>) => objects.find((c) => c.component === 'external-secrets')!;

  it('from the CRDs directory, and without it from the committed dist/ while the lock is unchanged', () => {
    const fresh = eso(renderEnvironment(dev, { componentsFor: () => [externalSecrets] }));
    const crds = fresh.objects.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.length).toBe(4);
    expect(fresh.metadata.crds?.names).toEqual(crds.map((c) => c.metadata.name).sort());
    // Neither the charts nor the CRDs at hand: both come back from dist/, identical.
    const none = join(tempDir(), 'none');
    const reused = eso(
      renderEnvironment(dev, {
        componentsFor: () => [externalSecrets],
        charts: { dir: none, crdsDir: none, previous: join(REPO, 'dist') },
      }),
    );
    // Same objects (the order of chart output differs: dist/ holds one file per object).
    const byFile = (objects: readonly ApiObject[]) => [...objects].sort((a, b) => (fileNameFor(a) < fileNameFor(b) ? -1 : 1));
    expect(byFile(reused.objects)).toEqual(byFile(fresh.objects));
    expect(reused.metadata).toEqual(fresh.metadata);
  });

  it('a changed lock without the CRDs directory fails in one line naming the environment and component; dist/ is not reused', () => {
    const none = join(tempDir(), 'none');
    const previous = tempDir('zt-prev-');
    cpSync(join(REPO, 'dist', 'dev', 'external-secrets'), join(previous, 'dev', 'external-secrets'), { recursive: true });
    const lock = readCrdLock(join(REPO, 'crds.lock.json'));
    const changed = { crds: lock.crds.map((c, i) => (i === 0 ? { ...c, digest: fileDigest('another release') } : c)) };
    const file = ESO_CRDS.files.find((f) => changed.crds[0]!.url.endsWith(`/${f}`))!;
    expect(() =>
      renderEnvironment(dev, {
        componentsFor: () => [externalSecrets],
        charts: { crdsDir: none, crdLock: changed, previous },
      }),
    ).toThrow(
      new UserError(
        `environment dev: component external-secrets: CRD file external-secrets/${file} not found: ${join(none, 'external-secrets', file)} does not exist (run pnpm charts pull)`,
      ),
    );
  });
});
