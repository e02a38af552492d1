/**
 * Environment files that cannot become an environment fail with one line: a syntax error with
 * its file, line, column and message; a module that throws anything (an Error or not); a default
 * export that is not an object; two files for the same environment name.
 *
 * The cases run in one tsx process, through `pnpm synth`'s own entry point: vitest loads modules
 * with its own transformer, whose syntax errors look nothing like tsx's.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTree, writeTree } from '../../lib/output';
import { REPO, tempDir } from '../support';

/** [case, files of the environments directory, the exact error line (`<dir>` = that directory, relative to the repo)] */
const CASES: [string, Record<string, string>, string][] = [
  [
    'syntax error in a .ts file',
    { 'dev.ts': 'export default {\n  name: "dev",\n  x: {{;\n};\n' },
    'error: environment dev: cannot load <dir>/dev.ts: syntax error at <dir>/dev.ts:3:7: Expected identifier but found "{"',
  ],
  [
    'syntax error after non-ASCII text on the same line (columns count characters)',
    { 'dev.ts': 'export default {\n  a: "déjà vu", b: {{;\n};\n' },
    'error: environment dev: cannot load <dir>/dev.ts: syntax error at <dir>/dev.ts:2:21: Expected identifier but found "{"',
  ],
  [
    'syntax error in a helper the environment imports',
    { 'dev.ts': "import { x } from './_helper';\nexport default x;\n", '_helper.ts': 'export const x = [;\n' },
    'error: environment dev: cannot load <dir>/dev.ts: syntax error at <dir>/_helper.ts:1:19: Unexpected ";"',
  ],
  [
    'syntax error in a .mjs file (parsed by Node, not esbuild)',
    { 'dev.mjs': 'const a = 1;\nexport default {\n  x: {{;\n};\n' },
    "error: environment dev: cannot load <dir>/dev.mjs: syntax error at <dir>/dev.mjs:3:7: Unexpected token '{'",
  ],
  ['throws an Error', { 'dev.ts': "throw new Error('no credentials\\nsecond line');\n" }, 'error: environment dev: cannot load <dir>/dev.ts: no credentials'],
  ['throws a string', { 'dev.ts': "throw 'boom';\n" }, 'error: environment dev: cannot load <dir>/dev.ts: it threw "boom", not an Error'],
  ['throws null', { 'dev.mjs': 'throw null;\n' }, 'error: environment dev: cannot load <dir>/dev.mjs: it threw null, not an Error'],
  ['throws undefined', { 'dev.ts': 'throw undefined;\n' }, 'error: environment dev: cannot load <dir>/dev.ts: it threw undefined, not an Error'],
  ['throws a plain object', { 'dev.ts': 'throw { code: 42 };\n' }, 'error: environment dev: cannot load <dir>/dev.ts: it threw {"code":42}, not an Error'],
  [
    'exports null',
    { 'dev.ts': 'export default null;\n' },
    'error: environment dev: <dir>/dev.ts: the default export is null, not an environment (export default defineEnvironment({...}))',
  ],
  [
    'exports null from a .mjs file',
    { 'dev.mjs': 'export default null;\n' },
    'error: environment dev: <dir>/dev.mjs: the default export is null, not an environment (export default defineEnvironment({...}))',
  ],
  [
    'exports a number',
    { 'dev.ts': 'export default 42;\n' },
    'error: environment dev: <dir>/dev.ts: the default export is 42, not an environment (export default defineEnvironment({...}))',
  ],
  [
    'exports an array',
    { 'dev.ts': 'export default [];\n' },
    'error: environment dev: <dir>/dev.ts: the default export is an array, not an environment (export default defineEnvironment({...}))',
  ],
  [
    'exports a function',
    { 'dev.ts': 'export default () => ({});\n' },
    'error: environment dev: <dir>/dev.ts: the default export is a function, not an environment (export default defineEnvironment({...}))',
  ],
  [
    'dev.ts and dev.mts',
    { 'dev.ts': 'export default {};\n', 'dev.mts': 'export default {};\n' },
    'error: environment dev is defined twice: <dir>/dev.mts and <dir>/dev.ts; keep one',
  ],
  [
    'dev.ts and dev.js',
    { 'dev.ts': 'export default {};\n', 'dev.js': 'export default {};\n' },
    'error: environment dev is defined twice: <dir>/dev.js and <dir>/dev.ts; keep one',
  ],
];

interface Outcome {
  code: number;
  out: string[];
  err: string[];
}

let outcomes: Outcome[];
let dirs: string[];
let outDir: string;
let before: Map<string, string>;
// Not tempDir(): those are removed after each test, and these serve the whole file.
let base: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'zt-load-'));
  dirs = CASES.map(([, files], i) => {
    const dir = join(base, `case-${i}`);
    mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  });
  // A populated output directory that every failure must leave byte-identical.
  outDir = join(base, 'dist');
  writeTree(outDir, [{ path: 'dev/whoami/a.yaml', content: 'a: 1\n' }]);
  before = readTree(outDir);
  const script = `
    import { main } from ${JSON.stringify(join(REPO, 'lib', 'cli', 'synth'))};
    (async () => {
      const results = [];
      for (const dir of ${JSON.stringify(dirs)}) {
        const out = [], err = [];
        const code = await main(['--environments', dir, '--out', ${JSON.stringify(outDir)}], { out: (l) => out.push(l), err: (l) => err.push(l) });
        results.push({ code, out, err });
      }
      process.stdout.write(JSON.stringify(results));
    })();
  `;
  const run = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['-e', script], { cwd: REPO, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  outcomes = JSON.parse(run.stdout) as Outcome[];
}, 120_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('environment files that cannot load', () => {
  it.each(CASES.map((c, i) => [c[0], i] as const))('%s: exit 1, one line, output untouched', (_what, i) => {
    const dir = relative(REPO, dirs[i]!);
    expect(outcomes[i]).toEqual({ code: 1, out: [], err: [CASES[i]![2].replaceAll('<dir>', dir)] });
    expect(readTree(outDir)).toEqual(before);
  });

  it('the real process prints the one line and no stack', () => {
    const dir = tempDir('zt-load-');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'dev.ts'), 'throw null;\n');
    const run = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['lib/cli/synth.ts', '--environments', dir, '--out', join(tempDir(), 'dist')], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`error: environment dev: cannot load ${relative(REPO, join(dir, 'dev.ts'))}: it threw null, not an Error\n`);
  });
});
