/**
 * The fast reader of kubectl's block-style YAML must never decide differently from the `yaml`
 * library: it gives the library's value or declines (undefined). Checked on explicit cases, on
 * generated values printed in several styles, on mutations of those (invalid YAML included) and
 * on the repository's own manifests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { readBlockYaml } from '../../analysis/block-yaml';
import { manifestFiles } from '../../analysis/read';
import { mulberry32 } from '../support/prng';

/** The library's value of a one-document text, or 'error' when it rejects it. */
function library(text: string): unknown {
  const docs = parseAllDocuments(text, { merge: true });
  if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length > 0) return 'error';
  try {
    return docs[0]!.toJS({ maxAliasCount: 1000 });
  } catch {
    return 'error';
  }
}

/** undefined when the reader agrees (or declines); else a description of the disagreement. */
function disagreement(text: string): string | undefined {
  const fast = readBlockYaml(text);
  if (!fast) return undefined;
  const expected = library(text);
  return isDeepStrictEqual(fast.value, expected)
    ? undefined
    : `${JSON.stringify(text)}: read ${JSON.stringify(fast.value)}, the library ${JSON.stringify(expected)}`;
}

describe('the block-style YAML reader', () => {
  it.each([
    ['a: 1\nb: x\n', { a: 1, b: 'x' }],
    ['items:\n- a: 1\n  b: [] \n- {}\n- - x\n  - y\n', { items: [{ a: 1, b: [] }, {}, ['x', 'y']] }],
    ['k:\n  - 1\n  -\n  - "2"\n', { k: [1, null, '2'] }],
    [
      'n: ~\nm: null\nt: true\nf: False\no: 0o17\nh: 0x1F\ni: -007\ne: 1e3\nd: .5\ns: 1.10\nts: 2024-05-01T10:00:00Z\nv: 1.2.3\n',
      {
        n: null,
        m: null,
        t: true,
        f: false,
        o: 15,
        h: 31,
        i: -7,
        e: 1000,
        d: 0.5,
        s: 1.1,
        ts: '2024-05-01T10:00:00Z',
        v: '1.2.3',
      },
    ],
    [
      "q: 'it''s'\nd: \"tab\\there \\u00e9 \\\"q\\\"\"\nurl: http://x:8080/a#b\nempty: ''\n",
      { q: "it's", d: 'tab\there é "q"', url: 'http://x:8080/a#b', empty: '' },
    ],
    ['"quoted key": 1\n\'k2\': 2\n', { 'quoted key': 1, k2: 2 }],
    ['a: |\n  line 1\n\n    indented\n  # not a comment\nb: |-\n  x\n  y\n\nc: 1\n', { a: 'line 1\n\n  indented\n# not a comment\n', b: 'x\ny', c: 1 }],
    ['# comment\na:\n  # comment\n  b: 1 \n', { a: { b: 1 } }],
    ['    a: 1\n    b:\n    - x\n', { a: 1, b: ['x'] }],
  ])('reads %j as the library does', (text, value) => {
    expect(readBlockYaml(text)).toEqual({ value });
    expect(library(text)).toStrictEqual(value);
  });

  it.each([
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['tags', 'a: !!str 1\n'],
    ['flow collections', 'a: [1, 2]\n'],
    ['folded and kept block scalars', 'a: >\n  x\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['multi-line quoted scalars', 'a: "one\n  two"\n'],
    ['a comment after a value', 'a: 1 # one\n'],
    ['merge keys', 'a: {x: 1}\nb:\n  <<: {}\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['keys that are no strings', '1: a\n'],
    ['special floats', 'a: .inf\n'],
    ['tabs', 'a:\t1\n'],
    ['several documents', 'a: 1\n---\nb: 2\n'],
    ['a value in a value', 'a: b: c\n'],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n'],
    ['a lone scalar', 'hello\n'],
  ])('declines %s (the library reads them)', (_, text) => {
    expect(readBlockYaml(text)).toBeUndefined();
  });

  it("agrees with the library on generated values printed in the library's styles and kubectl's, and on mutations of them", () => {
    const r = mulberry32(17);
    const words = ['a', 'x y', 'true', 'True', 'null', '~', '', '1', '1.0', '1e3', '0x1f', '0o17', '-', '- x', '#', 'a #b', 'a: b', 'a:b', "it's", 'q"q'];
    words.push('é', '\\', 'line\nline', 'trail\n', 'tail  ', ' lead', '.inf', '.5', '+1', '007', '2024-05-01T10:00:00Z', '[x]', '{y}', '*a', '&a', '!t');
    words.push('|', '>', '@', '`', '%', 'http://x', 'k8s.io/name', '\n\nx\n', 'x\n\n', 'x\n  y\n');
    const value = (depth: number): unknown => {
      const k = r();
      if (depth > 3 || k < 0.4) {
        const n = r();
        if (n < 0.15) return Math.floor(r() * 1e6) - 5e5;
        if (n < 0.2) return r() * 100;
        if (n < 0.25) return r() < 0.5;
        return n < 0.28 ? null : words[Math.floor(r() * words.length)];
      }
      if (k < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(r() * 5); i++) o[`${words[Math.floor(r() * words.length)]}${r() < 0.5 ? '' : i}`] = value(depth + 1);
      return o;
    };
    const styles = [{}, { indentSeq: false }, { lineWidth: 0 }, { defaultStringType: 'QUOTE_DOUBLE' as const }, { defaultStringType: 'QUOTE_SINGLE' as const }];
    const edits = [' ', ':', '#', '-', '"', "'", '|', '\n', '- ', ': ', ' #', '\\', '{', '[', '|-', '\n  ', 'x', '0', '&a', '*a', '>', '---'];
    const problems: string[] = [];
    let read = 0;
    for (let i = 0; i < 600; i++) {
      const v = { root: value(0) };
      for (const style of styles) {
        const text = stringify(v, style);
        for (const t of [text, text.replace(/^(?=.)/gm, '    ')]) {
          const p = disagreement(t);
          if (p) problems.push(p);
          if (readBlockYaml(t)) read++;
        }
        let mutated = text;
        for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
          const pos = Math.floor(r() * (mutated.length + 1));
          mutated =
            r() < 0.6 ? mutated.slice(0, pos) + edits[Math.floor(r() * edits.length)] + mutated.slice(pos) : mutated.slice(0, pos) + mutated.slice(pos + 1);
        }
        const p = disagreement(mutated);
        if (p) problems.push(p);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // It reads most of what printers write (else it would not be worth having).
    expect(read).toBeGreaterThan(600 * styles.length);
  });

  it("agrees with the library on the repository's own manifests", () => {
    const files = manifestFiles([join(__dirname, '../../dist'), join(__dirname, '../fixtures')]).filter((f) => /\.ya?ml$/.test(f));
    const problems = files.flatMap((f) => readFileSync(f, 'utf8').split(/^---$/m).map(disagreement)).filter((p) => p !== undefined);
    expect(problems).toEqual([]);
  });
});
