/**
 * The output writer never loses data: it replaces only a directory synth wrote (marker file),
 * turns file-system trouble into one line while keeping the old tree, serialises concurrent
 * synths with a lock, and recovers from a crash between the two renames of its swap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main as synth } from '../../lib/cli/synth';
import { UserError } from '../../lib/errors';
import { DIST_MARKER, DIST_MARKER_CONTENT, listFiles, readTree, sidePaths, writeTree } from '../../lib/output';
import { captureIo, REPO, tempDir } from '../support';

/** Faults injected into node:fs as seen by lib/output.ts: `(operation, path) => errno code`. */
const faults = vi.hoisted(() => ({ inject: undefined as undefined | ((op: string, path: string) => string | undefined) }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const wrap =
    <F extends (...args: any[]) => any>(op: string, f: F) =>
    (...args: Parameters<F>): ReturnType<F> => {
      const code = faults.inject?.(op, String(args[0]));
      if (code) throw Object.assign(new Error(`${code}: injected, ${op} '${args[0]}'`), { code, syscall: op, path: String(args[0]) });
      return f(...args);
    };
  const mocked = {
    ...fs,
    writeFileSync: wrap('write', fs.writeFileSync),
    openSync: wrap('open', fs.openSync),
    mkdirSync: wrap('mkdir', fs.mkdirSync),
    renameSync: wrap('rename', fs.renameSync),
  };
  return { ...mocked, default: mocked };
});

const A = [
  { path: 'dev/whoami/a.yaml', content: 'a: 1\n' },
  { path: 'prod/whoami/a.yaml', content: 'a: 2\n' },
];
const B = [{ path: 'dev/whoami/b.yaml', content: 'b: 1\n' }];
const asMap = (files: { path: string; content: string }[]) => new Map(files.map((f) => [f.path, f.content]));

/** The error `fn` throws (it must throw). */
function thrown(fn: () => void): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** A fresh output directory that synth wrote, holding `A`. */
function synthDir(): string {
  const out = join(tempDir('zt-out-'), 'dist');
  writeTree(out, A);
  return out;
}

/** Nothing but `dist` beside the output: no lock, staging or previous tree left over. */
const besideOut = (out: string) => readdirSync(dirname(out)).sort();

describe('the marker', () => {
  it('is written at the root of every tree, with a fixed line, and is not rendered output', () => {
    const out = synthDir();
    expect(readFileSync(join(out, DIST_MARKER), 'utf8')).toBe(DIST_MARKER_CONTENT);
    expect(DIST_MARKER_CONTENT.split('\n')).toHaveLength(2);
    expect(listFiles(out)).toEqual(['dev/whoami/a.yaml', 'prod/whoami/a.yaml']);
    expect(readTree(out)).toEqual(asMap(A));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('is in the committed dist/, so CI finds git clean after synth', () => {
    expect(readFileSync(join(REPO, 'dist', DIST_MARKER), 'utf8')).toBe(DIST_MARKER_CONTENT);
    const tracked = spawnSync('git', ['ls-files', '--error-unmatch', `dist/${DIST_MARKER}`], { cwd: REPO, encoding: 'utf8' });
    expect(tracked.status, tracked.stderr).toBe(0);
  });

  it('survives an --env scoped write and a full rewrite', () => {
    const out = synthDir();
    writeTree(out, B, ['dev']);
    expect(readFileSync(join(out, DIST_MARKER), 'utf8')).toBe(DIST_MARKER_CONTENT);
    expect(readTree(out)).toEqual(asMap([B[0]!, A[1]!]));
    writeTree(out, B);
    expect(readTree(out)).toEqual(asMap(B));
    expect(existsSync(join(out, DIST_MARKER))).toBe(true);
  });

  it('a synth-written tree passes --check, so the marker is never a stale file', async () => {
    const out = join(tempDir(), 'dist');
    expect(await synth(['--env', 'dev', '--out', out], captureIo())).toBe(0);
    const io = captureIo();
    expect(await synth(['--env', 'dev', '--check', '--out', out], io)).toBe(0);
    expect(io.lines.err).toEqual([]);
  });
});

describe('refusing what synth did not write', () => {
  it('refuses a non-empty directory without the marker with one line, exit 1, nothing touched', async () => {
    const out = join(tempDir('zt-out-'), 'precious');
    mkdirSync(join(out, '.git'), { recursive: true });
    writeFileSync(join(out, 'notes.md'), 'keep me\n');
    writeFileSync(join(out, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const io = captureIo();
    expect(await synth(['--env', 'dev', '--out', out], io)).toBe(1);
    expect(io.lines.err).toEqual([
      `error: refusing to replace ${out}: it was not written by pnpm synth (no ${DIST_MARKER} marker); choose an empty or new directory`,
    ]);
    expect(io.lines.out).toEqual([]);
    expect(readTree(out)).toEqual(
      new Map([
        ['.git/HEAD', 'ref: refs/heads/main\n'],
        ['notes.md', 'keep me\n'],
      ]),
    );
    expect(besideOut(out)).toEqual(['precious']);
  });

  it('refuses a checkout and its environments directory (--out . or a CDK8S_OUTDIR typo)', () => {
    // A copy of the checkout's shape, never the real one: a regression here would delete it.
    const checkout = tempDir('zt-checkout-');
    mkdirSync(join(checkout, 'environments'));
    writeFileSync(join(checkout, 'package.json'), '{}\n');
    writeFileSync(join(checkout, 'environments', 'dev.ts'), 'export default {};\n');
    const before = readTree(checkout);
    for (const dir of [checkout, join(checkout, 'environments')]) {
      const e = thrown(() => writeTree(dir, B));
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toMatch(/^refusing to replace .*: it was not written by pnpm synth/);
    }
    expect(readTree(checkout)).toEqual(before);
    expect(existsSync(`${checkout}.synth-lock`)).toBe(false);
  });

  it('replaces an empty directory and creates a missing one', () => {
    const empty = tempDir('zt-out-');
    writeTree(empty, B);
    expect(readTree(empty)).toEqual(asMap(B));
    const missing = join(tempDir('zt-out-'), 'a', 'b', 'dist');
    writeTree(missing, B);
    expect(readTree(missing)).toEqual(asMap(B));
  });

  it('an output path that is a file: one line, the file kept', async () => {
    const file = join(tempDir('zt-out-'), 'dist');
    writeFileSync(file, 'not a directory\n');
    const io = captureIo();
    expect(await synth(['--env', 'dev', '--out', file], io)).toBe(1);
    expect(io.lines.err).toEqual([`error: cannot write ${file}: it is a file, not a directory; ${file} is unchanged`]);
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
    expect(besideOut(file)).toEqual(['dist']);
  });

  it('an output path below a file: one line', () => {
    const file = join(tempDir('zt-out-'), 'file');
    writeFileSync(file, 'x\n');
    const e = thrown(() => writeTree(join(file, 'dist'), B));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`cannot write ${join(file, 'dist')}: a parent of it is a file, not a directory; ${join(file, 'dist')} is unchanged`);
  });

  it('a symbolic link is refused, not replaced by a directory', () => {
    const target = synthDir();
    const link = join(tempDir('zt-out-'), 'dist');
    symlinkSync(target, link);
    const e = thrown(() => writeTree(link, B));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`cannot write ${link}: it is a symbolic link; pass the directory it points to`);
    expect(readTree(target)).toEqual(asMap(A));
  });
});

describe('file-system failures keep the old tree', () => {
  const withFault = (inject: (op: string, path: string) => string | undefined, fn: () => void) => {
    faults.inject = inject;
    try {
      fn();
    } finally {
      faults.inject = undefined;
    }
  };

  it('a full disk while writing: one line, old tree kept, nothing left beside it', async () => {
    const out = synthDir();
    let e: Error | undefined;
    withFault(
      (op, path) => (op === 'write' && path.endsWith('b.yaml') ? 'ENOSPC' : undefined),
      () => (e = thrown(() => writeTree(out, B))),
    );
    expect(e).toBeInstanceOf(UserError);
    expect(e!.message).toBe(`cannot write ${out}: no space left on device (${sidePaths(out).staging}/dev/whoami/b.yaml); ${out} is unchanged`);
    expect(readTree(out)).toEqual(asMap(A));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('a full disk through the CLI: exit 1 and exactly one line', async () => {
    const out = join(tempDir('zt-out-'), 'dist');
    expect(await synth(['--env', 'dev', '--out', out], captureIo())).toBe(0);
    const before = readTree(out);
    const io = captureIo();
    faults.inject = (op, path) => (op === 'write' && path.endsWith('.yaml') ? 'ENOSPC' : undefined);
    try {
      expect(await synth(['--env', 'dev', '--out', out], io)).toBe(1);
    } finally {
      faults.inject = undefined;
    }
    expect(io.lines.err).toHaveLength(1);
    expect(io.lines.err[0]).toMatch(new RegExp(`^error: cannot write ${out}: no space left on device \\(.*\\); ${out} is unchanged$`));
    expect(readTree(out)).toEqual(before);
  });

  it.each([
    ['a read-only file system (the lock cannot be created)', 'open', 'EROFS', 'read-only file system'],
    ['permission denied creating the staging directory', 'mkdir', 'EACCES', 'permission denied'],
    ['the swap itself failing', 'rename', 'EBUSY', 'resource busy (a mount point, or in use by another program)'],
  ])('%s: one line, old tree kept', (_what, op, code, reason) => {
    const out = synthDir();
    let e: Error | undefined;
    withFault(
      (o, path) => (o === op && (op !== 'mkdir' || path.endsWith('.synth-tmp')) && (op !== 'rename' || path === out) ? code : undefined),
      () => (e = thrown(() => writeTree(out, B))),
    );
    expect(e).toBeInstanceOf(UserError);
    expect(e!.message).toMatch(new RegExp(`^cannot write ${out}: ${reason.replace(/[()]/g, '\\$&')}( \\(.*\\))?; ${out} is unchanged$`));
    expect(readTree(out)).toEqual(asMap(A));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('when the new tree cannot be moved in, the previous one is moved back', () => {
    const out = synthDir();
    const { staging } = sidePaths(out);
    let e: Error | undefined;
    withFault(
      (op, path) => (op === 'rename' && path === staging ? 'EIO' : undefined),
      () => (e = thrown(() => writeTree(out, B))),
    );
    expect(e).toBeInstanceOf(UserError);
    expect(readTree(out)).toEqual(asMap(A));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('a bug (one path rendered as a file and a directory) stays an internal error', () => {
    const out = synthDir();
    const e = thrown(() => writeTree(out, [...B, { path: 'dev/whoami/b.yaml/c.yaml', content: 'c\n' }]));
    expect(e).not.toBeInstanceOf(UserError);
    expect(readTree(out)).toEqual(asMap(A));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('read-only directories, for real: one line, old tree kept', () => {
    // Root ignores permission bits, so as root the scenario runs as `nobody`.
    const base = tempDir('zt-ro-');
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(base, 65534, 65534);
    const script = `
      import { chmodSync } from 'node:fs';
      import { join } from 'node:path';
      import { writeTree, readTree } from ${JSON.stringify(join(REPO, 'lib', 'output'))};
      const base = ${JSON.stringify(base)};
      const out = join(base, 'dist');
      writeTree(out, [{ path: 'dev/a.yaml', content: 'a: 1\\n' }]);
      const attempt = () => { try { writeTree(out, [{ path: 'dev/b.yaml', content: 'b: 1\\n' }]); return 'written'; } catch (e) { return e.name + ': ' + e.message; } };
      chmodSync(out, 0o555);
      const dir = attempt();
      chmodSync(out, 0o755);
      chmodSync(base, 0o555);
      const parent = attempt();
      chmodSync(base, 0o755);
      console.log(JSON.stringify({ dir, parent, tree: [...readTree(out)] }));
    `;
    const run = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['-e', script], {
      cwd: base,
      encoding: 'utf8',
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { dir: string; parent: string; tree: [string, string][] };
    const out = join(base, 'dist');
    expect(result.dir).toBe(`UserError: cannot write ${out}: permission denied; ${out} is unchanged`);
    expect(result.parent).toBe(`UserError: cannot write ${out}: permission denied (${out}.synth-lock); ${out} is unchanged`);
    expect(result.tree).toEqual([['dev/a.yaml', 'a: 1\n']]);
    expect(readdirSync(base)).toEqual(['dist']);
  });
});

describe('the lock', () => {
  /** The PID of a process that has exited (PIDs are not reused this fast). */
  function deadPid(): number {
    const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    return Number(run.stdout);
  }

  it('is released after a write and after a failure', () => {
    const out = synthDir();
    expect(existsSync(sidePaths(out).lock)).toBe(false);
    thrown(() => writeTree(out, [...B, { path: 'dev/whoami/b.yaml/c', content: '' }]));
    expect(existsSync(sidePaths(out).lock)).toBe(false);
  });

  it('a live holder: one line naming it, the tree and its lock untouched', async () => {
    const out = synthDir();
    const { lock } = sidePaths(out);
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(lock, `${holder.pid}\n`);
      const io = captureIo();
      expect(await synth(['--env', 'dev', '--out', out], io)).toBe(1);
      expect(io.lines.err).toEqual([`error: another synth is writing ${out} (pid ${holder.pid}); wait for it, or delete ${lock} if no synth is running`]);
      expect(readTree(out)).toEqual(asMap(A));
      expect(readFileSync(lock, 'utf8')).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill();
    }
  });

  it('a lock left by a dead process is taken over', () => {
    const out = synthDir();
    const { lock } = sidePaths(out);
    writeFileSync(lock, `${deadPid()}\n`);
    writeTree(out, B);
    expect(readTree(out)).toEqual(asMap(B));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('an empty lock is a synth starting up, unless it is old', () => {
    const out = synthDir();
    const { lock } = sidePaths(out);
    writeFileSync(lock, '');
    expect(thrown(() => writeTree(out, B)).message).toMatch(/^another synth is writing .* \(pid unknown\)/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    writeTree(out, B);
    expect(readTree(out)).toEqual(asMap(B));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('two writers at once on the same directory: each write completes or stops with one line, never a crash', async () => {
    const out = join(tempDir('zt-race-'), 'dist');
    const files = Array.from({ length: 1500 }, (_, i) => ({ path: `env${i % 7}/c${i % 13}/f${i}.yaml`, content: `n: ${i}\n` }));
    const script = `
      import { writeTree } from ${JSON.stringify(join(REPO, 'lib', 'output'))};
      const files = ${JSON.stringify(files)};
      const counts = { ok: 0, busy: 0 };
      for (let i = 0; i < 6; i++) {
        try { writeTree(${JSON.stringify(out)}, files); counts.ok++; }
        catch (e) {
          if (e.name === 'UserError' && e.message.startsWith('another synth is writing')) counts.busy++;
          else { console.error(e.stack); process.exit(2); }
        }
      }
      console.log(JSON.stringify(counts));
    `;
    const run = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(join(REPO, 'node_modules/.bin/tsx'), ['-e', script], { cwd: REPO });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => done({ code, stdout, stderr }));
      });
    const results = await Promise.all([run(), run()]);
    let ok = 0;
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      const counts = JSON.parse(r.stdout) as { ok: number; busy: number };
      expect(counts.ok + counts.busy).toBe(6);
      ok += counts.ok;
    }
    expect(ok).toBeGreaterThan(0);
    expect(readTree(out)).toEqual(asMap(files));
    expect(besideOut(out)).toEqual(['dist']);
  });
});

describe('recovery from a crashed run', () => {
  /** A directory as synth writes it: the marker plus `files`. */
  function synthLike(dir: string, files: { path: string; content: string }[]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, DIST_MARKER), DIST_MARKER_CONTENT);
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
  }

  it('a crash between the two renames (output missing, previous tree beside it) restores the previous tree first', () => {
    const out = join(tempDir('zt-crash-'), 'dist');
    const { staging, retired } = sidePaths(out);
    synthLike(retired, A); // the previous tree, renamed away
    synthLike(staging, [{ path: 'dev/whoami/half.yaml', content: 'x\n' }]); // the new tree, never renamed in
    // A scoped write keeps what it does not render: prod comes from the restored tree.
    writeTree(out, B, ['dev']);
    expect(readTree(out)).toEqual(asMap([B[0]!, A[1]!]));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('the restore happens even when the next run then fails', () => {
    const out = join(tempDir('zt-crash-'), 'dist');
    synthLike(sidePaths(out).retired, A);
    faults.inject = (op, path) => (op === 'write' && path.endsWith('b.yaml') ? 'ENOSPC' : undefined);
    try {
      expect(thrown(() => writeTree(out, B))).toBeInstanceOf(UserError);
    } finally {
      faults.inject = undefined;
    }
    expect(readTree(out)).toEqual(asMap(A));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('a crash after the swap or while writing: the leftovers are removed', () => {
    const out = synthDir();
    const { staging, retired } = sidePaths(out);
    synthLike(retired, B);
    mkdirSync(staging); // crashed right after creating it
    writeTree(out, B);
    expect(readTree(out)).toEqual(asMap(B));
    expect(besideOut(out)).toEqual(['dist']);
  });

  it('a directory in the way that synth did not write is neither removed nor restored', () => {
    const out = join(tempDir('zt-crash-'), 'dist');
    const { retired } = sidePaths(out);
    mkdirSync(retired);
    writeFileSync(join(retired, 'mine.txt'), 'not synth output\n');
    const e = thrown(() => writeTree(out, B));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`cannot write ${out}: ${retired} is in the way and was not written by pnpm synth; move it away`);
    expect(readFileSync(join(retired, 'mine.txt'), 'utf8')).toBe('not synth output\n');
    expect(existsSync(out)).toBe(false);
  });

  it('leftovers beside the repository dist/ are git-ignored', () => {
    const paths = ['dist.synth-tmp/dev/x.yaml', 'dist.synth-old/dev/x.yaml', 'dist.synth-lock', 'dist.synth-lock.stale-12-ab12cd34'];
    const run = spawnSync('git', ['check-ignore', '--no-index', ...paths], { cwd: REPO, encoding: 'utf8' });
    expect(run.stdout.trim().split('\n')).toEqual(paths);
  });
});
