/**
 * `pnpm reach` reads through a cache of parsed files (lib/cli/manifest-cache.ts): the same
 * objects and sources as analysis/read.ts gives, cold or warm; failures never cached; values
 * JSON cannot hold exactly are never cached.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifests } from '../../../analysis/read';
import { readManifestsCached } from '../../../lib/cli/manifest-cache';
import { REPO, tempDir } from '../../support';

const entries = (dir: string) => readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json')).length;

describe('readManifestsCached', () => {
  it('gives what readManifests gives, cold and warm, for dist/ and the fixtures (multi-document, Lists)', () => {
    const cache = tempDir();
    for (const paths of [[join(REPO, 'dist', 'dev')], [join(REPO, 'tests', 'fixtures', 'shop')]]) {
      const plain = readManifests(paths);
      expect(readManifestsCached(paths, cache)).toEqual(plain);
      expect(readManifestsCached(paths, cache)).toEqual(plain);
      expect(readManifestsCached(paths, false)).toEqual(plain);
    }
    expect(entries(cache)).toBeGreaterThan(10);
  });

  it('caches by content: a file edited is parsed again; a failing file is never stored', () => {
    const cache = tempDir();
    const dir = tempDir();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'kind: Namespace\nmetadata: {name: a}\n');
    expect(readManifestsCached([dir], cache)[0]!.object).toEqual({ kind: 'Namespace', metadata: { name: 'a' } });
    writeFileSync(file, 'kind: Namespace\nmetadata: {name: b}\n');
    expect(readManifestsCached([dir], cache)[0]!.object).toEqual({ kind: 'Namespace', metadata: { name: 'b' } });
    expect(entries(cache)).toBe(2);
    writeFileSync(file, 'kind: Pod\nmetadata: {name: [\n');
    for (let i = 0; i < 2; i++) expect(() => readManifestsCached([dir], cache)).toThrow(/a\.yaml \(document 1\): invalid YAML/);
    expect(entries(cache)).toBe(2);
  });

  it('does not store what JSON would change (NaN, infinities)', () => {
    const cache = tempDir();
    const dir = tempDir();
    writeFileSync(join(dir, 'x.yaml'), 'kind: ConfigMap\nmetadata: {name: x}\ndata: {a: .nan, b: .inf}\n');
    const first = readManifestsCached([dir], cache);
    expect(first).toEqual(readManifests([dir]));
    expect(entries(cache)).toBe(0);
  });
});
