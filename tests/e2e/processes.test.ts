import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning, recordedPids, Supervisor } from '../../e2e/processes';
import { REPO, tempDir } from '../support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Supervisor', () => {
  it('records each PID, logs output, and stops every process it started, newest first', async () => {
    const dir = tempDir('zt-e2e-proc-');
    const sup = new Supervisor(dir, 2000);
    const a = sup.start('a', 'sh', ['-c', 'echo hello from a; exec sleep 60']);
    const b = sup.start('b', 'sleep', ['60']);
    expect(recordedPids(dir)).toEqual([
      { pid: a.pid, name: 'a' },
      { pid: b.pid, name: 'b' },
    ]);
    expect(sup.pids()).toEqual([a.pid, b.pid]);
    expect(isRunning(a.pid) && isRunning(b.pid)).toBe(true);
    const order: string[] = [];
    a.exited.then(() => order.push('a'));
    b.exited.then(() => order.push('b'));
    await sup.stopAll();
    expect(order).toEqual(['b', 'a']);
    expect(isRunning(a.pid) || isRunning(b.pid)).toBe(false);
    expect(sup.pids()).toEqual([]);
    expect(readFileSync(a.log, 'utf8')).toBe('hello from a\n');
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    const sup = new Supervisor(tempDir('zt-e2e-proc-'), 300);
    const stubborn = sup.start('stubborn', 'sh', ['-c', 'trap "" TERM; while :; do sleep 0.1; done']);
    await sleep(200);
    await sup.stop(stubborn);
    expect(await stubborn.exited).toBe('SIGKILL');
    expect(isRunning(stubborn.pid)).toBe(false);
  });

  it('stops what it started when the run is interrupted (SIGINT, as Ctrl-C), and exits 130', async () => {
    const dir = tempDir('zt-e2e-proc-');
    // A run that starts a child and then waits forever, as pnpm e2e does while it applies.
    const script = [
      `const { Supervisor } = require(${JSON.stringify(join(REPO, 'e2e', 'processes.ts'))});`,
      `const sup = new Supervisor(${JSON.stringify(dir)}, 2000);`,
      'sup.stopOnExit();',
      "sup.start('child', 'sleep', ['600']);",
      "process.stdout.write('ready\\n');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const run = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => run.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
    const [child] = recordedPids(dir);
    expect(isRunning(child!.pid)).toBe(true);
    const code = new Promise<number | null>((r) => run.once('exit', (c) => r(c)));
    run.kill('SIGINT');
    expect(await code).toBe(130);
    expect(isRunning(child!.pid)).toBe(false);
  });
});
