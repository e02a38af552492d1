import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConverged, MESSAGE_LIMIT, parseApplications, parseChecks, parseTimes, verdict } from '../../e2e/convergence';

// The shape of `kubectl get applications -n argocd -o json` as Argo CD v3.5.7 left it in a tier-2
// run (fields trimmed to those read).
const webhookMessage =
  'one or more objects failed to apply, reason: Internal error occurred: failed calling webhook "validate.clustersecretstore.external-secrets.io"';
const list = {
  items: [
    {
      metadata: { name: 'root' },
      status: { sync: { status: 'Synced' }, health: { status: 'Healthy' }, operationState: { message: 'successfully synced (all tasks run)' } },
    },
    {
      metadata: { name: 'dev-eu-external-secrets' },
      status: { sync: { status: 'OutOfSync' }, health: { status: 'Healthy' }, operationState: { message: webhookMessage } },
    },
    {
      metadata: { name: 'dev-eu' },
      status: { sync: { status: 'OutOfSync' }, health: { status: 'Progressing' }, conditions: [{ message: 'first' }, { message: 'second' }] },
    },
    { metadata: { name: 'dev-eu-new' } },
  ],
};

describe('parseApplications', () => {
  it('reads sync, health and the reason, sorted by name, Unknown where Argo CD has said nothing yet', () => {
    expect(parseApplications(JSON.stringify(list))).toEqual([
      { name: 'dev-eu', sync: 'OutOfSync', health: 'Progressing', message: 'first; second' },
      { name: 'dev-eu-external-secrets', sync: 'OutOfSync', health: 'Healthy', message: webhookMessage },
      { name: 'dev-eu-new', sync: 'Unknown', health: 'Unknown', message: '' },
      { name: 'root', sync: 'Synced', health: 'Healthy', message: 'successfully synced (all tasks run)' },
    ]);
  });

  it('folds whitespace and cuts long messages', () => {
    const long = { items: [{ metadata: { name: 'a' }, status: { operationState: { message: `x\n  y ${'z'.repeat(1000)}` } } }] };
    const [a] = parseApplications(JSON.stringify(long));
    expect(a!.message.startsWith('x y zzz')).toBe(true);
    expect(a!.message).toHaveLength(MESSAGE_LIMIT);
  });
});

describe('isConverged', () => {
  it('needs both Synced and Healthy', () => {
    expect(isConverged({ name: 'a', sync: 'Synced', health: 'Healthy', message: '' })).toBe(true);
    expect(isConverged({ name: 'a', sync: 'Synced', health: 'Progressing', message: '' })).toBe(false);
    expect(isConverged({ name: 'a', sync: 'OutOfSync', health: 'Healthy', message: '' })).toBe(false);
  });
});

describe('parseTimes', () => {
  it('keeps the first time of each Application and skips other lines', () => {
    expect([...parseTimes('root 17\ndev-eu-namespaces 24.5\nroot 90\n\nnot a line\n')]).toEqual([
      ['root', 17],
      ['dev-eu-namespaces', 24.5],
    ]);
  });
});

describe('verdict', () => {
  const statuses = parseApplications(JSON.stringify(list));

  it('one line per expected Application, never-created ones failed, unexpected ones after, then the totals', () => {
    const v = verdict(statuses, new Map([['root', 17]]), ['root', 'dev-eu', 'dev-eu-external-secrets', 'dev-eu-whoami']);
    expect(v.lines).toEqual([
      'tier2: dev-eu: FAILED: OutOfSync Progressing: first; second',
      `tier2: dev-eu-external-secrets: FAILED: OutOfSync Healthy: ${webhookMessage}`,
      'tier2: dev-eu-whoami: FAILED: never created',
      'tier2: root: Synced Healthy after 17 s',
      'tier2: dev-eu-new: FAILED: Unknown Unknown',
      'tier2: 1 passed, 4 failed',
    ]);
    expect([v.passed, v.failed]).toEqual([1, 4]);
  });

  it('judges the state now: an Application that converged once and drifted since fails', () => {
    const drifted = [{ name: 'root', sync: 'OutOfSync', health: 'Healthy', message: 'successfully synced (all tasks run)' }];
    expect(verdict(drifted, new Map([['root', 17]]), ['root']).lines).toEqual([
      'tier2: root: FAILED: OutOfSync Healthy: successfully synced (all tasks run)',
      'tier2: 0 passed, 1 failed',
    ]);
  });
});

describe('checks besides Applications', () => {
  it('parses PASS and FAIL lines and names a malformed one', () => {
    expect(parseChecks('PASS secret twingate/creds: 2 keys\n\nFAIL prune dev-eu-whoami: 3 objects left\n')).toEqual([
      { ok: true, text: 'secret twingate/creds: 2 keys' },
      { ok: false, text: 'prune dev-eu-whoami: 3 objects left' },
    ]);
    expect(() => parseChecks('OK something')).toThrow("malformed check line 'OK something' (expected 'PASS <name>: <detail>' or 'FAIL ...')");
  });

  it('counts each check after the Applications', () => {
    const root = parseApplications(JSON.stringify({ items: [list.items[0]] }));
    const v = verdict(root, new Map([['root', 3]]), ['root'], parseChecks('PASS secret a/b: 1 key\nFAIL prune x: 1 object left'));
    expect(v.lines).toEqual([
      'tier2: root: Synced Healthy after 3 s',
      'tier2: secret a/b: 1 key',
      'tier2: FAILED: prune x: 1 object left',
      'tier2: 2 passed, 1 failed',
    ]);
    expect([v.passed, v.failed]).toEqual([2, 1]);
  });
});

describe('the command', () => {
  const tsx = resolve(__dirname, '../../node_modules/.bin/tsx');
  const script = resolve(__dirname, '../../e2e/convergence.ts');
  const times = join(mkdtempSync(join(tmpdir(), 'zt-convergence-')), 'times');
  writeFileSync(times, 'root 17\n');

  it('prints the verdict and exits 0 when every Application passed', () => {
    const onlyRoot = { items: [list.items[0]] };
    const out = execFileSync(tsx, [script, times, 'root'], { input: JSON.stringify(onlyRoot), encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['tier2: root: Synced Healthy after 17 s', 'tier2: 1 passed, 0 failed']);
  });

  it('reads the checks file after --checks: a failed check fails the run, a malformed one exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-checks-'));
    writeFileSync(join(dir, 'ok'), 'PASS secret a/b: 1 key\n');
    writeFileSync(join(dir, 'bad'), 'FAIL prune x: 1 object left\n');
    writeFileSync(join(dir, 'odd'), 'maybe\n');
    const onlyRoot = JSON.stringify({ items: [list.items[0]] });
    const ok = spawnSync(tsx, [script, times, '--checks', join(dir, 'ok'), 'root'], { input: onlyRoot, encoding: 'utf8' });
    expect([ok.status, ok.stdout.trim().split('\n').at(-1)]).toEqual([0, 'tier2: 2 passed, 0 failed']);
    const bad = spawnSync(tsx, [script, times, '--checks', join(dir, 'bad'), 'root'], { input: onlyRoot, encoding: 'utf8' });
    expect([bad.status, bad.stdout.trim().split('\n').at(-1)]).toEqual([1, 'tier2: 1 passed, 1 failed']);
    const odd = spawnSync(tsx, [script, times, '--checks', join(dir, 'odd'), 'root'], { input: onlyRoot, encoding: 'utf8' });
    expect(odd.status).toBe(2);
    expect(odd.stderr.trim()).toBe(`error: ${join(dir, 'odd')}: malformed check line 'maybe' (expected 'PASS <name>: <detail>' or 'FAIL ...')`);
  });

  it('exits 1 when one failed (an unexpected Application too), and 2 with a usage line without expected ones', () => {
    const r1 = spawnSync(tsx, [script, times, 'root'], { input: JSON.stringify(list), encoding: 'utf8' });
    expect(r1.status).toBe(1);
    expect(r1.stdout.trim().split('\n').at(-1)).toBe('tier2: 1 passed, 3 failed');
    const r = spawnSync(tsx, [script, times], { input: '{}', encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('error: usage: tsx e2e/convergence.ts <times file> [--checks <file>] <expected Application...> (applications JSON on stdin)');
  });
});
