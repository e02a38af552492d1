/**
 * toYaml's memo (lib/output.ts) and the synth CLI's copy of it between runs
 * (lib/cli/yaml-memo.ts): the same bytes with and without it, cold and warm; values whose YAML
 * JSON does not determine are never memoised; a memo of another format is not used.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main as synth } from '../../../lib/cli/synth';
import { KeptYamlMemo } from '../../../lib/cli/yaml-memo';
import { readTree, toYaml, useYamlMemo } from '../../../lib/output';
import { captureIo, skipWithoutShared, tempDir } from '../../support';

afterEach(() => useYamlMemo(undefined));

/** A memo that records what it is asked. */
function recording() {
  const map = new Map<string, string>();
  const calls = { get: 0, hit: 0, set: 0 };
  return {
    map,
    calls,
    get: (k: string) => {
      calls.get++;
      const v = map.get(k);
      if (v !== undefined) calls.hit++;
      return v;
    },
    set: (k: string, v: string) => {
      calls.set++;
      map.set(k, v);
    },
  };
}

describe('toYaml with a memo', () => {
  it('gives the same text, and the second time from the memo', () => {
    const value = { kind: 'ConfigMap', metadata: { name: 'x', labels: { b: 'yes', a: 'on' } }, data: { n: '0123', list: ['1', 2, true, null] } };
    const plain = toYaml(value);
    const memo = recording();
    useYamlMemo(memo);
    expect(toYaml(value)).toBe(plain);
    expect(toYaml(JSON.parse(JSON.stringify(value)))).toBe(plain);
    expect(memo.calls).toEqual({ get: 2, hit: 1, set: 1 });
    // Key order does not matter (keys are sorted first); values do.
    expect(toYaml({ data: value.data, metadata: value.metadata, kind: 'ConfigMap' })).toBe(plain);
    expect(toYaml({ ...value, kind: 'Secret' })).not.toBe(plain);
  });

  it('never memoises what JSON cannot tell apart: NaN, infinities, -0, undefined in arrays, bigints', () => {
    const memo = recording();
    useYamlMemo(memo);
    for (const value of [{ a: Number.NaN }, { a: Number.POSITIVE_INFINITY }, { a: -0 }, { a: [undefined] }, { a: 1n }]) {
      const text = toYaml(value);
      useYamlMemo(undefined);
      expect(text).toBe(toYaml(value));
      useYamlMemo(memo);
    }
    expect(memo.calls.get).toBe(0);
    // undefined in an object is dropped by JSON and YAML alike: that one is memoisable.
    expect(toYaml({ a: 1, b: undefined })).toBe(toYaml({ a: 1 }));
    expect(memo.calls.hit).toBe(1);
  });
});

describe('KeptYamlMemo', () => {
  it('keeps the entries a run used (all of them after a partial run), and drops a file of another format', () => {
    const file = join(tempDir(), 'memo.json');
    const first = KeptYamlMemo.load(file);
    first.set('{"a":1}', 'a: 1\n');
    first.set('{"b":2}', 'b: 2\n');
    first.save(false);
    const second = KeptYamlMemo.load(file);
    expect(second.get('{"a":1}')).toBe('a: 1\n');
    expect(second.stats()).toEqual({ reused: 1, made: 0 });
    second.save(true); // a partial run keeps what it did not use
    expect(KeptYamlMemo.load(file).get('{"b":2}')).toBe('b: 2\n');
    const third = KeptYamlMemo.load(file);
    third.get('{"a":1}');
    third.set('{"c":3}', 'c: 3\n');
    third.save(false); // a full run keeps only what it used
    const fourth = KeptYamlMemo.load(file);
    expect([fourth.get('{"a":1}'), fourth.get('{"b":2}'), fourth.get('{"c":3}')]).toEqual(['a: 1\n', undefined, 'c: 3\n']);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...data, header: `${data.header} (another yaml)` }));
    expect(KeptYamlMemo.load(file).get('{"a":1}')).toBeUndefined();
    writeFileSync(file, '{damaged');
    expect(KeptYamlMemo.load(file).get('{"a":1}')).toBeUndefined();
  });
});

describe.skipIf(skipWithoutShared)('pnpm synth with its memo', () => {
  it('writes the same bytes cold and warm', async () => {
    const saved = process.env.ZT_SYNTH_CACHE;
    process.env.ZT_SYNTH_CACHE = join(tempDir(), 'synth-yaml.json');
    try {
      const trees = [];
      for (let i = 0; i < 2; i++) {
        const out = join(tempDir(), 'dist');
        expect(await synth(['--out', out], captureIo())).toBe(0);
        trees.push(readTree(out));
      }
      expect(trees[1]).toEqual(trees[0]);
      expect(JSON.parse(readFileSync(process.env.ZT_SYNTH_CACHE, 'utf8')).entries).not.toEqual({});
    } finally {
      if (saved === undefined) delete process.env.ZT_SYNTH_CACHE;
      else process.env.ZT_SYNTH_CACHE = saved;
    }
  });
});
