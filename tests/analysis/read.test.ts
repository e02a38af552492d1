import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { manifestFiles, parseManifestText, readManifests } from '../../analysis/read';
import { generatePodDump } from '../../bench/generate';

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

describe('reading hostile and huge input', () => {
  it('an alias bomb is one error line naming the file and document, not a stack trace or an expansion', () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(',')}]`,
      );
    // The limit counts expanded nodes, so the refusal comes before the 9^9-node expansion, on any machine.
    expect(() => parseManifestText('bomb.yaml', `kind: Pod\n---\n${bomb.join('\n')}\n`)).toThrow(
      /^bomb\.yaml \(document 2\): invalid YAML: aliases expand beyond 1000 nodes \(an alias bomb\?\)$/,
    );
  });

  it('an unresolved alias and absurd nesting are one error line too', () => {
    expect(() => parseManifestText('a.yaml', 'metadata: *nope\n')).toThrow(/^a\.yaml \(document 1\): invalid YAML: Unresolved alias/);
    expect(() => parseManifestText('deep.yaml', `${Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`)).toThrow(
      /^deep\.yaml \(document 1\): invalid YAML at line 1026: indented deeper than 1024 columns$/,
    );
    // The same text, small enough for the parser rather than the block reader: the same line.
    expect(() => parseManifestText('deep.yaml', `${Array.from({ length: 1100 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`)).toThrow(
      /^deep\.yaml \(document 1\): invalid YAML at line 1026: indented deeper than 1024 columns$/,
    );
    // A large text read by the block reader, nested 600 levels at one column each: the nesting limit holds there too.
    const padded = `# ${'x'.repeat(70)}\n`.repeat(20000);
    const block = `${padded}kind: Pod\n${Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}b${i}:`).join('\n')} 1\n`;
    expect(block.length).toBeGreaterThan(1_000_000);
    expect(() => parseManifestText('block.yaml', block)).toThrow(/^block\.yaml \(document 1\): invalid YAML: nesting deeper than 512 levels$/);
    // Deep enough to be absurd, not deep enough to overflow any stack: the explicit limit, the same line everywhere.
    const flow = `kind: Pod\na: ${'['.repeat(600)}1${']'.repeat(600)}\n`;
    expect(() => parseManifestText('nest.yaml', flow)).toThrow(/^nest\.yaml \(document 1\): invalid YAML: nesting deeper than 512 levels$/);
    expect(parseManifestText('ok.yaml', `a: ${'['.repeat(100)}1${']'.repeat(100)}\n`)).toHaveLength(1);
  });

  it('merge keys resolve, as Kubernetes reads YAML', () => {
    const [o] = parseManifestText('m.yaml', 'base: &b {app: web}\nkind: Pod\nmetadata:\n  labels:\n    <<: *b\n    tier: front\n');
    expect((o!.object as { metadata: unknown }).metadata).toEqual({ labels: { app: 'web', tier: 'front' } });
  });

  it('JSON is read by JSON.parse; a large broken JSON file is one line with its line number', () => {
    expect(parseManifestText('p.json', '{"kind": "Pod", "a": [1, 2]}').map((o) => o.object)).toEqual([{ kind: 'Pod', a: [1, 2] }]);
    // Not JSON but YAML in flow style: the YAML parser reads it.
    expect(parseManifestText('p.json', '{kind: Pod}').map((o) => o.object)).toEqual([{ kind: 'Pod' }]);
    const big = `{"kind": "List", "items": [\n${Array.from({ length: 30000 }, (_, i) => `{"kind": "Pod", "metadata": {"name": "p${i}"}},`).join('\n')}\n]}`;
    expect(() => parseManifestText('big.json', big)).toThrow(/^big\.json \(document 1\): invalid JSON: [^\n]+$/);
    expect(() => parseManifestText('big.json', big.replace('"p7"}},', '"p7"}} x,'))).toThrow(/^big\.json \(document 1\): invalid JSON at line 9: [^\n]+$/);
  });
});

describe('large YAML texts (cut into documents and list items before parsing)', () => {
  const dump = generatePodDump({ seed: 3, pods: 400 });
  const list = { apiVersion: 'v1', kind: 'List', items: dump.pods, metadata: { resourceVersion: '' } };

  /** What the YAML parser makes of the whole text, flattened as the reader flattens lists. */
  function whole(text: string): { source: string; object: unknown }[] {
    return parseAllDocuments(text, { merge: true }).flatMap((d, i) => {
      const v = d.toJS({ maxAliasCount: -1 }) as { items?: unknown[] } | null;
      if (v === null) return [];
      return v.items
        ? v.items.map((object, j) => ({ source: `f.yaml (document ${i + 1}) items[${j}]`, object }))
        : [{ source: `f.yaml (document ${i + 1})`, object: v }];
    });
  }

  it.each([
    ['indented sequences (YAML printers)', {}],
    ["kubectl's compact sequences (items:\\n- ...)", { indentSeq: false }],
  ])('a dump of %s is read item by item, giving what the parser gives for the whole', (_, options) => {
    const text = stringify(list, options);
    expect(text.length).toBeGreaterThan(1 << 20);
    expect(parseManifestText('f.yaml', text)).toEqual(whole(text));
  });

  it('documents are numbered as the parser numbers them (comments before the first marker, empty documents)', () => {
    const docs = dump.pods.map((p) => stringify(p));
    const text = `# a dump\n---\n${docs.slice(0, 150).join('---\n')}---\n---\n${docs.slice(150).join('---\n')}`;
    expect(text.length).toBeGreaterThan(1 << 20);
    expect(parseManifestText('f.yaml', text)).toEqual(whole(text));
  });

  it('an error names the document and the line in the file', () => {
    const lines = stringify(list).split('\n');
    const at = lines.findIndex((l, i) => i > 20000 && l.trim().startsWith('name: '));
    lines[at] = `${lines[at].replace(/name: .*/, 'name: [broken')}`;
    const text = lines.join('\n');
    // The line the parser gives when it reads the whole file (where it notices the unclosed flow sequence).
    const line = parseAllDocuments(text, { prettyErrors: true })[0]!.errors[0]!.linePos![0].line;
    expect(line).toBeGreaterThan(at);
    expect(() => parseManifestText('f.yaml', text)).toThrow(new RegExp(`^f\\.yaml \\(document 1\\): invalid YAML at line ${line}: Flow sequence`));
  });

  it('an alias to an anchor of another item: the document is parsed whole', () => {
    const text = stringify(list)
      .replace('kind: Pod', 'kind: &pod Pod')
      .replace(/kind: Pod(?![\s\S]*kind: Pod)/, 'kind: *pod');
    expect(parseManifestText('f.yaml', text)).toEqual(whole(text));
  });
});
