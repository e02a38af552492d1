import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fakeStores, fakeValue } from '../../e2e/fake-store';
import type { Manifest } from '../../e2e/plan';
import { unitNames } from '../../e2e/plan';

const REPO = resolve(__dirname, '../..');
const DIST = join(REPO, 'dist');
// Only the two kinds fakeStores reads (the whole tree, CRDs included, takes half a minute to parse).
const manifestsOf = (env: string): Manifest[] =>
  readdirSync(join(DIST, env), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(DIST, env, d.name))
        .filter((f) => f.startsWith('externalsecret.') || f.startsWith('clustersecretstore.'))
        .sort()
        .map((f) => ({ file: `${env}/${d.name}/${f}`, object: parse(readFileSync(join(DIST, env, d.name, f), 'utf8')) })),
    );
const m = (file: string, object: Record<string, unknown>): Manifest => ({ file, object: object as unknown as Manifest['object'] });
const store = (name: string, spec: Record<string, unknown> = { provider: { aws: { region: 'eu-west-2', service: 'SecretsManager' } } }) =>
  m(`x/${name}.yaml`, { apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name }, spec });
const externalSecret = (name: string, spec: Record<string, unknown>) =>
  m(`x/es-${name}.yaml`, { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: 'ns' }, spec });
type FakeSpec = { conditions?: unknown; provider: { fake?: { data: { key: string; value: string }[] }; aws?: unknown } };
const specOf = (s: Manifest): FakeSpec => (s.object as unknown as { spec: FakeSpec }).spec;

describe('fakeStores', () => {
  it('answers every key of every rendered ExternalSecret, in every environment, from a store of the same name', () => {
    let checked = 0;
    for (const env of unitNames(DIST).filter((u) => u !== 'argocd')) {
      const manifests = manifestsOf(env);
      const faked = fakeStores(manifests);
      const originals = manifests.filter((x) => x.object.kind === 'ClusterSecretStore');
      expect(faked.map((s) => [s.file, s.object.metadata.name])).toEqual(originals.map((s) => [s.file, s.object.metadata.name]));
      for (const es of manifests.filter((x) => x.object.kind === 'ExternalSecret')) {
        const spec = (es.object as unknown as { spec: { secretStoreRef: { name: string }; data?: { remoteRef: { key: string; property?: string } }[] } }).spec;
        const s = faked.find((f) => f.object.metadata.name === spec.secretStoreRef.name)!;
        for (const { remoteRef } of spec.data ?? []) {
          const entry = specOf(s).provider.fake!.data.find((d) => d.key === remoteRef.key);
          expect(entry, `${env} ${es.file} ${remoteRef.key}`).toBeDefined();
          if (remoteRef.property) expect(JSON.parse(entry!.value)).toHaveProperty([remoteRef.property]);
          checked++;
        }
      }
      for (const s of faked) expect(specOf(s).provider.aws).toBeUndefined();
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('keeps the namespace conditions that scope the store', () => {
    const conditions = [{ namespaces: ['twingate'] }];
    const [s] = fakeStores([store('a', { conditions, provider: { aws: {} } })]);
    expect(specOf(s).conditions).toEqual(conditions);
  });

  it('collects keys once, sorted, with every property a key is read by, and extract keys', () => {
    const [s] = fakeStores([
      store('a'),
      externalSecret('one', {
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'a' },
        data: [{ remoteRef: { key: 'k2', property: 'p' } }, { remoteRef: { key: 'k1' } }],
      }),
      externalSecret('two', {
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'a' },
        data: [{ remoteRef: { key: 'k2', property: 'q' } }],
        dataFrom: [{ extract: { key: 'k3' } }],
      }),
    ]);
    const data = specOf(s).provider.fake!.data;
    expect(data.map((d) => d.key)).toEqual(['k1', 'k2', 'k3']);
    expect(JSON.parse(data[1].value)).toEqual({ p: 'e2e-fake-value-of-k2-p', q: 'e2e-fake-value-of-k2-q' });
    expect(data[0].value).toBe('e2e-fake-value-of-k1');
  });

  it('refuses an ExternalSecret whose store is not in the environment, a namespaced store and dataFrom.find', () => {
    expect(() => fakeStores([store('a'), externalSecret('one', { secretStoreRef: { kind: 'ClusterSecretStore', name: 'b' }, data: [] })])).toThrow(
      "x/es-one.yaml: spec.secretStoreRef: no ClusterSecretStore named 'b' in this environment",
    );
    expect(() => fakeStores([store('a'), externalSecret('one', { secretStoreRef: { kind: 'SecretStore', name: 'a' } })])).toThrow(
      'x/es-one.yaml: spec.secretStoreRef: tier 2 fakes ClusterSecretStores only, found kind SecretStore',
    );
    expect(() =>
      fakeStores([
        store('a'),
        externalSecret('one', { secretStoreRef: { kind: 'ClusterSecretStore', name: 'a' }, dataFrom: [{ find: { name: { regexp: '.*' } } }] }),
      ]),
    ).toThrow('x/es-one.yaml: spec.dataFrom[0]: tier 2');
  });

  it('values are plainly fake', () => {
    expect(fakeValue('zt/dev/api-key', [])).toBe('e2e-fake-value-of-zt/dev/api-key');
  });

  it('the command rewrites the store files of one environment in place and leaves the rest', () => {
    const dist = join(mkdtempSync(join(tmpdir(), 'zt-fake-store-')), 'dist');
    cpSync(DIST, dist, { recursive: true });
    const r = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['e2e/fake-store.ts', dist, 'dev'], { cwd: REPO, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'tier2: dev/external-secrets/clustersecretstore.aws-secrets-manager.yaml: ClusterSecretStore aws-secrets-manager reads the fake provider (2 keys)',
    );
    const text = readFileSync(join(dist, 'dev/external-secrets/clustersecretstore.aws-secrets-manager.yaml'), 'utf8');
    expect(text.startsWith('# Generated by `pnpm synth`')).toBe(true);
    expect(parse(text.split('\n').slice(1).join('\n')).spec.provider.fake.data.map((d: { key: string }) => d.key)).toEqual([
      'zt-eks/dev/twingate/api-key',
      'zt-eks/dev/twingate/remote-network-id',
    ]);
    expect(readFileSync(join(dist, 'staging/external-secrets/clustersecretstore.aws-secrets-manager.yaml'), 'utf8')).toBe(
      readFileSync(join(DIST, 'staging/external-secrets/clustersecretstore.aws-secrets-manager.yaml'), 'utf8'),
    );
  });
});
