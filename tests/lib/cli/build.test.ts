/**
 * The CLIs compiled to JavaScript (scripts/build.cjs) behave as their TypeScript sources: same
 * output, same errors, environment files still TypeScript loaded at run time; the stamp says
 * when a build is stale; scripts/run.cjs rebuilds or falls back to tsx; the V8 code cache
 * (scripts/compile-cache.cjs) returns the same modules.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as reach } from '../../../analysis/cli';
import { captureIo, REPO, skipWithoutShared, tempDir } from '../../support';

const build = require(join(REPO, 'scripts', 'build.cjs')) as {
  ENTRIES: Record<string, string>;
  isFresh(out?: string): boolean;
  build(out?: string): Promise<{ ms: number; inputs: number; out: string }>;
};

const FIXTURES = join(REPO, 'tests', 'fixtures', 'shop');
const node = (args: string[], env: Record<string, string> = {}, cwd = REPO) =>
  spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });

/** One build for the suite, beside build/ (which other processes may be using), where node_modules resolves. */
let out: string;
beforeAll(async () => {
  mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true });
  out = join(mkdtempSync(join(REPO, 'node_modules', '.cache', 'zt-build-test-')), 'build');
  await build.build(out);
}, 120_000);
afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }));

describe('scripts/build.cjs', () => {
  it('writes one bundle per CLI and a stamp of every input with its sha256', () => {
    expect(readdirSync(out).sort()).toEqual(['reach.js', 'reach.js.map', 'stamp.json', 'synth.js', 'synth.js.map', 'validate.js', 'validate.js.map']);
    const stamp = JSON.parse(readFileSync(join(out, 'stamp.json'), 'utf8')) as { inputs: Record<string, { sha256: string }> };
    expect(Object.keys(stamp.inputs)).toEqual(
      expect.arrayContaining(['lib/cli/synth.ts', 'lib/load.ts', 'platform/registry.ts', 'analysis/cli.ts', 'scripts/build.cjs']),
    );
    expect(Object.keys(stamp.inputs).some((p) => p.startsWith('environments/'))).toBe(false);
    // Packages stay packages: required from node_modules at run time, never copied in.
    expect(readFileSync(join(out, 'synth.js'), 'utf8')).toMatch(/require\("cdk8s-plus-28"\)/);
  });

  it('is fresh until an input changes content; a new mtime alone (checkout, touch) keeps it fresh', () => {
    expect(build.isFresh(out)).toBe(true);
    const stampFile = join(out, 'stamp.json');
    const original = readFileSync(stampFile, 'utf8');
    const edit = (change: (input: { mtimeMs: number; size: number; sha256: string }) => void) => {
      const stamp = JSON.parse(original);
      change(stamp.inputs['lib/output.ts']);
      writeFileSync(stampFile, JSON.stringify(stamp));
    };
    try {
      edit((i) => {
        i.mtimeMs -= 1000;
      });
      expect(build.isFresh(out)).toBe(true);
      edit((i) => {
        i.mtimeMs -= 1000;
        i.sha256 = '0'.repeat(64);
      });
      expect(build.isFresh(out)).toBe(false);
      edit((i) => {
        i.size += 1;
      });
      expect(build.isFresh(out)).toBe(false);
      writeFileSync(stampFile, original.replace('"format": 1', '"format": 0'));
      expect(build.isFresh(out)).toBe(false);
    } finally {
      writeFileSync(stampFile, original);
    }
    expect(build.isFresh(out)).toBe(true);
    expect(build.isFresh(join(out, 'missing'))).toBe(false);
  });
});

describe('the compiled CLIs', () => {
  it('reach prints what the TypeScript prints, and only that on stdout', async () => {
    const io = captureIo();
    expect(await reach([FIXTURES], io)).toBe(0);
    const r = node([join(out, 'reach.js'), FIXTURES]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${io.lines.out.join('\n')}\n`);
    expect(r.stderr).toBe('');
  });

  it.skipIf(skipWithoutShared)('synth renders exactly the committed dist/ (synth --check)', () => {
    const r = node([join(out, 'synth.js'), '--check']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^synth --check: .*dist is up to date \(\d+ files\)\n$/);
    expect(r.status).toBe(0);
  });

  it('loads environment files as TypeScript at run time, with the errors the sources give', () => {
    const dir = tempDir('zt-envs-');
    cpSync(join(REPO, 'environments'), dir, { recursive: true });
    for (const f of readdirSync(dir)) {
      const file = join(dir, f);
      writeFileSync(file, readFileSync(file, 'utf8').replace("from '../platform/registry'", `from ${JSON.stringify(join(REPO, 'platform', 'registry'))}`));
    }
    const run = () => node([join(out, 'synth.js'), '--environments', dir, '--out', join(tempDir(), 'dist'), '--env', 'bad']);
    const cases: [string, string, RegExp][] = [
      ['bad.ts', 'export default {{;\n', /^error: environment bad: cannot load .*bad\.ts: syntax error at .*bad\.ts:1:17: Expected identifier but found "\{"$/],
      ['bad.ts', 'throw 42;\n', /^error: environment bad: cannot load .*bad\.ts: it threw 42, not an Error$/],
      ['bad.ts', 'export default null;\n', /^error: environment bad: .*bad\.ts: the default export is null, not an environment/],
      ['bad.ts', 'export const x = 1;\n', /^error: environment bad: .*bad\.ts has no default export/],
      ['bad.mts', 'const n: number = 1;\nexport default { name: "bad", n };\n', /^error: environment bad: aws: is required$/],
      ['bad.mjs', 'export default { name: "bad" };\n', /^error: environment bad: aws: is required$/],
    ];
    for (const [file, source, message] of cases) {
      for (const f of readdirSync(dir)) if (f.startsWith('bad.')) rmSync(join(dir, f));
      writeFileSync(join(dir, file), source);
      const r = run();
      expect(r.stderr.trim(), `${file}: ${source}`).toMatch(message);
      expect(r.status, file).toBe(1);
    }
  });
});

describe('scripts/run.cjs (the entry of pnpm synth, validate, reach)', () => {
  it('runs a CLI; ZT_CLI=tsx runs its TypeScript instead, with the same output', () => {
    const built = node(['scripts/run.cjs', 'reach', '--json', FIXTURES]);
    const source = node(['scripts/run.cjs', 'reach', '--json', FIXTURES], { ZT_CLI: 'tsx' });
    expect(built.status).toBe(0);
    expect(source.status).toBe(0);
    expect(JSON.parse(built.stdout)).toEqual(JSON.parse(source.stdout));
    const missing = node(['scripts/run.cjs', 'reach', join(FIXTURES, 'missing.yaml')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: cannot read .*missing\.yaml: no such file or directory\n$/);
  });

  it('rebuilds build/ when it is stale, then runs it', () => {
    const stamp = join(REPO, 'build', 'stamp.json');
    if (existsSync(stamp)) writeFileSync(stamp, '{}');
    const r = node(['scripts/run.cjs', 'reach', FIXTURES]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('shop/client[Deployment] => shop/web[Deployment] : TCP 8080');
    expect(build.isFresh()).toBe(true);
  });

  it('names the CLIs it knows when given another', () => {
    const r = node(['scripts/run.cjs', 'deploy']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('usage: node scripts/run.cjs <synth|validate|reach> [args...]\n');
  });
});

describe('scripts/compile-cache.cjs', () => {
  // Node 22.1+ has module.enableCompileCache(), which the script uses instead.
  it.skipIf(typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function')(
    'stores V8 code per module, reuses it, and leaves modules that call import() to Node',
    () => {
      const dir = tempDir('zt-cc-');
      const cache = join(dir, 'cache');
      writeFileSync(join(dir, 'a.js'), 'exports.twice = (n) => n * 2;\n');
      writeFileSync(join(dir, 'b.js'), "exports.load = () => import('node:path');\n");
      const script = `
      const save = require(${JSON.stringify(join(REPO, 'scripts', 'compile-cache.cjs'))}).enable(${JSON.stringify(cache)});
      const a = require(${JSON.stringify(join(dir, 'a.js'))});
      require(${JSON.stringify(join(dir, 'b.js'))}).load().then((p) => {
        console.log(a.twice(21), typeof p.join);
        save();
      });`;
      const first = node(['-e', script]);
      expect(first.stderr).toBe('');
      expect(first.stdout).toBe('42 function\n');
      expect(readdirSync(cache)).toHaveLength(1);
      const entry = readdirSync(cache)[0]!;
      const second = node(['-e', script]);
      expect(second.stdout).toBe('42 function\n');
      expect(readdirSync(cache)).toEqual([entry]);
      // A changed module gets new data, and the old data of that file goes.
      writeFileSync(join(dir, 'a.js'), 'exports.twice = (n) => n + n;\n');
      expect(node(['-e', script]).stdout).toBe('42 function\n');
      expect(readdirSync(cache)).toHaveLength(1);
      expect(readdirSync(cache)[0]).not.toBe(entry);
    },
  );
});
