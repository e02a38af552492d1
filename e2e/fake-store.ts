/**
 * Tier 2's e2e-only secret store (docs/e2e.md, "Tier 2"). The AWS API is not reachable from the
 * test, so in the copy of the repository that Argo CD fetches, each ClusterSecretStore of the
 * environment keeps its name, its namespace conditions and its file but reads from External
 * Secrets' `fake` provider, which holds one obviously fake value for every key the environment's
 * ExternalSecrets ask for. What tier 2 then proves is the rest of the chain: the store becomes
 * Ready, each ExternalSecret syncs, the Secret exists and its consumers start.
 *
 * Command, run by e2e/tier2.sh on the served copy: `tsx e2e/fake-store.ts <dist> <environment>`
 * rewrites the store files in place and prints one line per store.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toYaml } from '../lib/output';
import { type Manifest, readUnit } from './plan';

/** The value every fake key holds: plainly not a secret, and JSON so a `property` can read it. */
export function fakeValue(key: string, properties: readonly string[]): string {
  if (properties.length === 0) return `e2e-fake-value-of-${key}`;
  return JSON.stringify(Object.fromEntries([...properties].sort().map((p) => [p, `e2e-fake-value-of-${key}-${p}`])));
}

interface RemoteRef {
  key?: string;
  property?: string;
}
interface ExternalSecretSpec {
  secretStoreRef?: { kind?: string; name?: string };
  data?: { remoteRef?: RemoteRef }[];
  dataFrom?: { extract?: RemoteRef }[];
}

const isStore = (m: Manifest): boolean => m.object.apiVersion.startsWith('external-secrets.io/') && m.object.kind === 'ClusterSecretStore';

/**
 * The ClusterSecretStores of `manifests`, rewritten to the fake provider with the keys (and
 * properties) their ExternalSecrets reference. Throws when an ExternalSecret names a store that
 * is not among them, or reads keys in a way the fake provider cannot answer (`dataFrom.find`).
 */
export function fakeStores(manifests: readonly Manifest[]): Manifest[] {
  const stores = manifests.filter(isStore);
  const keys = new Map<string, Map<string, Set<string>>>(stores.map((s) => [s.object.metadata.name, new Map()]));
  for (const m of manifests) {
    if (!m.object.apiVersion.startsWith('external-secrets.io/') || m.object.kind !== 'ExternalSecret') continue;
    const spec = (m.object as { spec?: ExternalSecretSpec }).spec ?? {};
    const where = `${m.file}: spec.secretStoreRef`;
    if (spec.secretStoreRef?.kind !== 'ClusterSecretStore')
      throw new Error(`${where}: tier 2 fakes ClusterSecretStores only, found kind ${spec.secretStoreRef?.kind ?? '(none)'}`);
    const store = keys.get(spec.secretStoreRef.name ?? '');
    if (!store) throw new Error(`${where}: no ClusterSecretStore named '${spec.secretStoreRef.name}' in this environment`);
    const refs: RemoteRef[] = [];
    for (const d of spec.data ?? []) if (d.remoteRef) refs.push(d.remoteRef);
    for (const [i, d] of (spec.dataFrom ?? []).entries()) {
      if (!d.extract) throw new Error(`${m.file}: spec.dataFrom[${i}]: tier 2's fake store answers remoteRef and extract only`);
      refs.push(d.extract);
    }
    for (const r of refs) {
      if (!r.key) throw new Error(`${m.file}: a remoteRef without key`);
      const props = store.get(r.key) ?? new Set<string>();
      if (r.property) props.add(r.property);
      store.set(r.key, props);
    }
  }
  return stores.map((s) => {
    const spec = (s.object as { spec?: { conditions?: unknown } }).spec ?? {};
    const data = [...(keys.get(s.object.metadata.name) ?? new Map()).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, props]) => ({ key, value: fakeValue(key, [...props]) }));
    return {
      file: s.file,
      object: { ...s.object, spec: { ...(spec.conditions ? { conditions: spec.conditions } : {}), provider: { fake: { data } } } },
    };
  });
}

if (require.main === module) {
  const [dist, env] = process.argv.slice(2);
  if (!dist || !env) {
    console.error('usage: tsx e2e/fake-store.ts <dist> <environment>');
    process.exit(2);
  }
  try {
    for (const s of fakeStores(readUnit(dist, env).components.flatMap((c) => c.manifests))) {
      const path = join(dist, s.file);
      const header = readFileSync(path, 'utf8').split('\n')[0];
      writeFileSync(path, `${header.startsWith('#') ? `${header}\n` : ''}${toYaml(s.object)}`);
      const n = (s.object.spec as { provider: { fake: { data: unknown[] } } }).provider.fake.data.length;
      console.log(`tier2: ${s.file}: ClusterSecretStore ${s.object.metadata.name} reads the fake provider (${n} keys)`);
    }
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}
