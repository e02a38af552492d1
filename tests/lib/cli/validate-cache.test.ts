/**
 * Incremental `pnpm validate`: a file whose content already passed with the same kubeconform,
 * schema locations and Kubernetes version is not validated again; anything else is. Only
 * passes are cached. A stand-in kubeconform records what it is asked to validate; the real one
 * checks cold and warm runs over dist/ when it and the offline schemas are present.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeconformIdentity, ONLINE_PASS_TTL_MS, ValidationCache, main as validate } from '../../../lib/cli/validate';
import { listFiles } from '../../../lib/output';
import { captureIo, KUBECONFORM_SCHEMAS, REPO, skipWithoutKubeconform, tempDir } from '../../support';

/**
 * A kubeconform stand-in: `-output json -verbose` for the files it is given (a resource is
 * invalid when its file says INVALID), each call appended to $FAKE_KC_LOG as a JSON line.
 */
const FAKE = `#!/usr/bin/env node
const fs = require('fs');
const args = process.argv.slice(2);
const version = args[args.indexOf('-kubernetes-version') + 1];
const files = args.filter((a, i) => !a.startsWith('-') && !args[i - 1]?.startsWith('-'));
fs.appendFileSync(process.env.FAKE_KC_LOG, JSON.stringify({ version, files }) + '\\n');
const resources = files.map((filename) => {
  const text = fs.readFileSync(filename, 'utf8');
  const kind = /kind: (\\w+)/.exec(text)?.[1] ?? '';
  const invalid = text.includes('INVALID');
  return { filename, kind, name: 'x', version: 'v1', status: invalid ? 'statusInvalid' : 'statusValid', msg: invalid ? "additional properties 'INVALID' not allowed" : '' };
});
console.log(JSON.stringify({ resources }));
process.exitCode = resources.some((r) => r.status !== 'statusValid') ? 1 : 0;
`;

interface Call {
  version: string;
  files: string[];
}

let env: { bin: string; log: string; schemas: string; cache: string; dir: string };
const saved = { KUBECONFORM: process.env.KUBECONFORM, FAKE_KC_LOG: process.env.FAKE_KC_LOG, ZT_VALIDATE_CACHE: process.env.ZT_VALIDATE_CACHE };

beforeEach(() => {
  const root = tempDir('zt-validate-');
  const bin = join(root, 'kubeconform');
  writeFileSync(bin, FAKE, { mode: 0o755 });
  const schemas = join(root, 'schemas');
  for (const v of ['1.28.0', '1.30.0']) mkdirSync(join(schemas, `v${v}-standalone-strict`), { recursive: true });
  const dir = join(root, 'dist');
  for (const env of ['dev', 'prod']) {
    for (const c of ['web', 'db']) {
      mkdirSync(join(dir, env, c), { recursive: true });
      writeFileSync(join(dir, env, c, 'deployment.yaml'), `kind: Deployment\nmetadata: {name: ${c}-${env}}\n`);
      writeFileSync(join(dir, env, c, 'service.yaml'), `kind: Service\nmetadata: {name: ${c}-${env}}\n`);
      writeFileSync(join(dir, env, c, 'component.json'), '{}\n');
    }
  }
  env = { bin, log: join(root, 'calls.jsonl'), schemas, cache: join(root, 'cache'), dir };
  process.env.KUBECONFORM = bin;
  process.env.FAKE_KC_LOG = env.log;
  process.env.ZT_VALIDATE_CACHE = env.cache;
});

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** Runs validate and returns its exit code, output and the files kubeconform was given per version. */
async function run(...extra: string[]) {
  writeFileSync(env.log, '');
  const io = captureIo();
  const code = await validate([env.dir, '--schemas', env.schemas, ...extra], io);
  const calls = readFileSync(env.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);
  const checked = (version: string) =>
    calls
      .filter((c) => c.version === version)
      .flatMap((c) => c.files)
      .sort();
  return { code, out: io.lines.out, err: io.lines.err, calls, checked };
}

const ALL = [
  'dev/db/deployment.yaml',
  'dev/db/service.yaml',
  'dev/web/deployment.yaml',
  'dev/web/service.yaml',
  'prod/db/deployment.yaml',
  'prod/db/service.yaml',
  'prod/web/deployment.yaml',
  'prod/web/service.yaml',
];

describe('pnpm validate: incremental', () => {
  it('validates everything once, then nothing while nothing changes (same counts, same verdict)', async () => {
    const cold = await run();
    expect(cold.code).toBe(0);
    expect(cold.checked('1.28.0')).toEqual(ALL);
    expect(cold.checked('1.30.0')).toEqual(ALL);
    // Whole top-level directories per kubeconform run: both environments fit in one batch.
    expect(cold.calls).toHaveLength(2);
    expect(cold.out).toEqual([
      'validate: Kubernetes 1.28.0: ok (8 valid, 0 invalid, 0 errors, 0 skipped)',
      'validate: Kubernetes 1.30.0: ok (8 valid, 0 invalid, 0 errors, 0 skipped)',
      expect.stringMatching(/^validate: 8 files in 2 directories x 2 Kubernetes versions: 16 checked, 0 of 16 from cache, in \d+ ms$/),
    ]);
    const warm = await run();
    expect(warm.code).toBe(0);
    expect(warm.calls).toEqual([]);
    expect(warm.out.slice(0, 2)).toEqual(cold.out.slice(0, 2));
    expect(warm.out[2]).toMatch(/: 0 checked, 16 of 16 from cache, in \d+ ms$/);
  });

  it('a changed file is validated again, alone; a file moved or copied elsewhere is known by its content', async () => {
    await run();
    writeFileSync(join(env.dir, 'dev', 'web', 'deployment.yaml'), 'kind: Deployment\nmetadata: {name: web-dev, labels: {a: b}}\n');
    cpSync(join(env.dir, 'prod', 'db'), join(env.dir, 'prod', 'db2'), { recursive: true });
    const r = await run();
    expect(r.checked('1.28.0')).toEqual(['dev/web/deployment.yaml']);
    expect(r.checked('1.30.0')).toEqual(['dev/web/deployment.yaml']);
    expect(r.out[0]).toBe('validate: Kubernetes 1.28.0: ok (10 valid, 0 invalid, 0 errors, 0 skipped)');
  });

  it('never caches a failure: an invalid file fails on every run, and passes once fixed', async () => {
    const bad = join(env.dir, 'prod', 'web', 'service.yaml');
    writeFileSync(bad, 'kind: Service\nINVALID: true\n');
    for (let i = 0; i < 2; i++) {
      const r = await run();
      expect(r.code).toBe(1);
      expect(r.checked('1.28.0')).toEqual(i === 0 ? ALL : ['prod/web/service.yaml']);
      expect(r.out).toContain("prod/web/service.yaml - Service x is invalid: additional properties 'INVALID' not allowed (Kubernetes 1.28.0)");
      expect(r.out).toContain('validate: Kubernetes 1.28.0: FAILED (7 valid, 1 invalid, 0 errors, 0 skipped)');
    }
    writeFileSync(bad, 'kind: Service\nmetadata: {name: fixed}\n');
    const fixed = await run();
    expect(fixed.code).toBe(0);
    expect(fixed.checked('1.28.0')).toEqual(['prod/web/service.yaml']);
    expect((await run()).calls).toEqual([]);
  });

  it('another schema location, Kubernetes version or kubeconform binary is a miss', async () => {
    await run();
    expect((await run('--kubernetes-version', '1.30.0')).calls).toEqual([]);
    const other = join(env.schemas, '..', 'schemas-copy');
    cpSync(env.schemas, other, { recursive: true });
    expect((await run('--schemas', other)).checked('1.28.0')).toEqual(ALL);
    // kubeconform upgraded in place: another build of the stand-in (a Go binary is known by its module version).
    writeFileSync(env.bin, `${FAKE}// another build\n`, { mode: 0o755 });
    const upgraded = await run();
    expect(upgraded.checked('1.28.0')).toEqual(ALL);
    expect(upgraded.checked('1.30.0')).toEqual(ALL);
    expect((await run()).calls).toEqual([]);
  });

  it('files with the same content go to kubeconform once, and share its verdict', async () => {
    cpSync(join(env.dir, 'dev', 'web'), join(env.dir, 'prod', 'web2'), { recursive: true });
    writeFileSync(join(env.dir, 'dev', 'db', 'service.yaml'), 'kind: Service\nINVALID: true\n');
    cpSync(join(env.dir, 'dev', 'db', 'service.yaml'), join(env.dir, 'prod', 'db', 'service.yaml'));
    const r = await run();
    expect(r.checked('1.28.0')).toEqual(ALL.filter((f) => f !== 'prod/db/service.yaml'));
    expect(r.out).toContain("dev/db/service.yaml - Service x is invalid: additional properties 'INVALID' not allowed (Kubernetes 1.28.0)");
    expect(r.out).toContain("prod/db/service.yaml - Service x is invalid: additional properties 'INVALID' not allowed (Kubernetes 1.28.0)");
    expect(r.out).toContain('validate: Kubernetes 1.28.0: FAILED (8 valid, 2 invalid, 0 errors, 0 skipped)');
    expect(r.out.at(-1)).toMatch(/: 14 checked \(6 more with the same content\), 0 of 20 from cache, in \d+ ms$/);
    expect(r.code).toBe(1);
  });

  it('a directory larger than a batch goes to kubeconform in several runs (command-line length)', async () => {
    for (let i = 0; i < 450; i++) writeFileSync(join(env.dir, `cm-${i}.yaml`), `kind: ConfigMap\nmetadata: {name: cm-${i}}\n`);
    const r = await run('--kubernetes-version', '1.28.0');
    expect(r.code).toBe(0);
    expect(r.calls.map((c) => c.files.length).sort((a, b) => a - b)).toEqual([8, 50, 400]);
    expect(r.checked('1.28.0')).toHaveLength(458);
  });

  it('--no-cache validates every file and records nothing; the cache directory is safe to delete', async () => {
    const r = await run('--no-cache');
    expect(r.checked('1.28.0')).toEqual(ALL);
    expect(r.out[2]).toMatch(/16 checked, 0 of 16 from cache \(--no-cache\)/);
    expect(readdirSync(join(env.cache, '..'))).not.toContain('cache');
    await run();
    expect((await run('--no-cache')).checked('1.28.0')).toEqual(ALL);
    expect((await run()).calls).toEqual([]);
  });

  it('a damaged cache file is ignored and rewritten', async () => {
    await run();
    for (const f of readdirSync(env.cache)) writeFileSync(join(env.cache, f), '{not json');
    expect((await run()).checked('1.28.0')).toEqual(ALL);
    expect((await run()).calls).toEqual([]);
  });

  it('on a terminal: one progress line per top-level directory', async () => {
    const io = { ...captureIo(), tty: true };
    writeFileSync(env.log, '');
    expect(await validate([env.dir, '--schemas', env.schemas], io)).toBe(0);
    expect(io.lines.err).toEqual(['validate: [1/2] dev: 4 files ok', 'validate: [2/2] prod: 4 files ok']);
    const warm = { ...captureIo(), tty: true };
    expect(await validate([env.dir, '--schemas', env.schemas], warm)).toBe(0);
    expect(warm.lines.err).toEqual([
      'validate: [1/2] dev: 4 files ok (8 of 8 checks from cache)',
      'validate: [2/2] prod: 4 files ok (8 of 8 checks from cache)',
    ]);
  });
});

describe('ValidationCache', () => {
  const context = (locations: string[]) => ({ kubeconform: 'k@v0.7.0', kubernetesVersion: '1.28.0', locations, flags: ['-strict'] });

  it('trusts passes against HTTP schema locations for a day, against a directory until it changes', () => {
    const dir = tempDir();
    const now = Date.now();
    for (const [locations, expired] of [
      [['default', 'https://example.org/{{.ResourceKind}}.json'], true],
      [['/srv/schemas'], false],
    ] as const) {
      const cache = ValidationCache.open(dir, context([...locations]));
      cache.record('a'.repeat(64), 3, now - ONLINE_PASS_TTL_MS - 1);
      cache.record('b'.repeat(64), 1, now);
      cache.save();
      const again = ValidationCache.open(dir, context([...locations]));
      expect(again.passed('a'.repeat(64), now)?.resources).toBe(expired ? undefined : 3);
      expect(again.passed('b'.repeat(64), now)?.resources).toBe(1);
      expect(ValidationCache.open(dir, { ...context([...locations]), kubernetesVersion: '1.30.0' }).passed('b'.repeat(64), now)).toBeUndefined();
    }
  });

  it('identifies a go-installed kubeconform by its module version, anything else by path, size and mtime', () => {
    const bin = join(tempDir(), 'kubeconform');
    writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
    expect(kubeconformIdentity(bin)).toMatch(/kubeconform \(10 bytes, mtime [\d.]+\)$/);
  });
});

describe.skipIf(skipWithoutKubeconform)('pnpm validate with the real kubeconform', () => {
  it('dist/dev cold, then warm (nothing run), then one component changed: only its files', async () => {
    delete process.env.KUBECONFORM;
    // One environment of the committed dist/ (dist/argocd's CRD schemas alone take seconds to compile).
    const dir = join(tempDir(), 'dist');
    cpSync(join(REPO, 'dist', 'dev'), join(dir, 'dev'), { recursive: true });
    const go = async () => {
      const io = captureIo();
      const code = await validate([dir, '--schemas', KUBECONFORM_SCHEMAS], io);
      return { code, out: io.lines.out, summary: io.lines.out.at(-1)! };
    };
    const cold = await go();
    expect(cold.code, cold.out.join('\n')).toBe(0);
    const files = Number(/^validate: (\d+) files/.exec(cold.summary)![1]);
    const counts = (summary: string) => {
      const m = /: (\d+) checked(?: \((\d+) more with the same content\))?, (\d+) of (\d+) from cache/.exec(summary)!;
      return { checked: Number(m[1]), twins: Number(m[2] ?? 0), cached: Number(m[3]), total: Number(m[4]) };
    };
    // Each distinct content once (the environments share their CRDs), nothing from the cache;
    // CRDs at the newest version only (validatedAt).
    const crds = listFiles(dir).filter((f) => f.split('/').pop()!.startsWith('customresourcedefinition.')).length;
    expect(crds).toBeGreaterThan(0);
    const checks = 2 * files - crds;
    expect(counts(cold.summary)).toEqual({ checked: expect.any(Number), twins: expect.any(Number), cached: 0, total: checks });
    expect(counts(cold.summary).checked + counts(cold.summary).twins).toBe(checks);
    const warm = await go();
    expect(warm.out.slice(0, -1)).toEqual(cold.out.slice(0, -1));
    expect(counts(warm.summary)).toEqual({ checked: 0, twins: 0, cached: checks, total: checks });

    const component = join(dir, 'dev', 'whoami');
    const manifests = readdirSync(component).filter((f) => f.endsWith('.yaml') && f !== 'values.yaml');
    for (const f of manifests)
      writeFileSync(join(component, f), readFileSync(join(component, f), 'utf8').replace('app.kubernetes.io/name: whoami', 'app.kubernetes.io/name: whoami-2'));
    const changed = await go();
    expect(changed.code).toBe(0);
    const touched = manifests.filter((f) => readFileSync(join(component, f), 'utf8').includes('whoami-2')).length;
    expect(touched).toBeGreaterThan(0);
    expect(counts(changed.summary)).toEqual({ checked: 2 * touched, twins: 0, cached: checks - 2 * touched, total: checks });
  });
});
