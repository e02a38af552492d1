/**
 * A rendered null is a field the API server never stores, so Argo CD would compare it with a
 * missing live field for ever (seen in e2e tier 2: the Twingate operator's CRD stayed OutOfSync
 * after every sync). The writer drops them; these tests hold it to that.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { listFiles, objectFile, withoutNulls } from '../../lib/output';
import { REPO } from '../support';

describe('withoutNulls', () => {
  it('drops null map entries at every depth, inside lists too, and keeps null list items', () => {
    expect(withoutNulls({ a: null, b: { c: null, d: 1 }, e: [{ properties: null, required: ['x'] }, null], f: '' })).toEqual({
      b: { d: 1 },
      e: [{ required: ['x'] }, null],
      f: '',
    });
  });

  it('keeps a JSON schema default or example of null, and what is under them', () => {
    const schema = { type: 'object', nullable: true, default: null, example: { a: null }, properties: { p: { default: null, description: null } } };
    expect(withoutNulls(schema)).toEqual({ type: 'object', nullable: true, default: null, example: { a: null }, properties: { p: { default: null } } });
  });

  it('is what the writer writes', () => {
    const f = objectFile('dev/x', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r', namespace: 'n', labels: null },
      rules: null,
    });
    expect(f.content).not.toContain('null');
    expect(f.content).toContain('name: r');
  });
});

describe('the rendered tree', () => {
  it('holds no null map value outside a schema default or example', () => {
    const found: string[] = [];
    const walk = (v: unknown, path: string, file: string) => {
      if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`, file);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (x === null && k !== 'default' && k !== 'example') found.push(`${file}: ${path}.${k}`);
          else if (k !== 'default' && k !== 'example') walk(x, `${path}.${k}`, file);
        }
    };
    const dist = join(REPO, 'dist');
    let files = 0;
    for (const f of listFiles(dist).filter((p) => p.endsWith('.yaml') && !p.endsWith('/values.yaml'))) {
      files++;
      for (const doc of parseAllDocuments(readFileSync(join(dist, f), 'utf8'), { version: '1.1' }) as ReturnType<typeof parseAllDocuments> & unknown[]) {
        walk(doc.toJS({ maxAliasCount: -1 }), '', f);
      }
    }
    expect(files).toBeGreaterThan(1000);
    expect(found).toEqual([]);
  });
});
