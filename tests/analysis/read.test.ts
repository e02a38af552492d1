import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestFiles, parseManifestText, readManifests } from '../../analysis/read';

describe('reading manifests', () => {
  it('finds .yaml, .yml and .json files recursively, in name order, and takes files as given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'read-'));
    mkdirSync(join(dir, 'sub'));
    for (const f of ['b.yaml', 'a.yml', 'sub/c.json', 'notes.md', 'x.txt']) writeFileSync(join(dir, f), '');
    expect(manifestFiles([dir]).map((f) => f.slice(dir.length + 1))).toEqual(['a.yml', 'b.yaml', 'sub/c.json']);
    expect(manifestFiles([join(dir, 'x.txt')])).toEqual([join(dir, 'x.txt')]);
  });

  it('splits multi-document YAML, skips empty documents and flattens Lists', () => {
    const objs = parseManifestText('m.yaml', '---\nkind: Pod\nmetadata: {name: a}\n---\n---\nkind: PodList\nitems: [{kind: Pod, metadata: {name: b}}]\n');
    expect(objs.map((o) => [o.source, (o.object as { metadata: { name: string } }).metadata.name])).toEqual([
      ['m.yaml (document 1)', 'a'],
      ['m.yaml (document 3) items[0]', 'b'],
    ]);
  });

  it('reads JSON as YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'read-'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ kind: 'Pod', metadata: { name: 'p' } }));
    expect(readManifests([dir]).map((o) => o.object)).toEqual([{ kind: 'Pod', metadata: { name: 'p' } }]);
  });

  it('names the file, document and line of a YAML error', () => {
    expect(() => parseManifestText('m.yaml', 'kind: Pod\n---\nmetadata: {name: [\n')).toThrow(/^m\.yaml \(document 2\): invalid YAML at line \d: /);
  });
});
