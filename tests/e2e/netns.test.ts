import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isolationCommand } from '../../e2e/netns';

describe('isolationCommand', () => {
  it('uses a plain network namespace as root and maps the user to root otherwise', () => {
    expect(isolationCommand(0, ['node', 'main.ts', '--env', 'dev'])).toEqual([
      'unshare',
      '--net',
      '--fork',
      '--kill-child=SIGTERM',
      '--',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      'node',
      'main.ts',
      '--env',
      'dev',
    ]);
    expect(isolationCommand(1000, ['x']).slice(0, 4)).toEqual(['unshare', '--user', '--map-root-user', '--net']);
  });

  it('gives the command a namespace whose only interface is lo, up, where a 10.x address is unreachable', () => {
    const probe = [
      'ip -o link show | cut -d: -f2 | tr -d " "',
      // bash's /dev/tcp dials without any tool; "unreachable" fails at once rather than timing out.
      'bash -c "exec 3<>/dev/tcp/10.96.0.1/443" 2>&1 && echo connected || echo refused',
      'bash -c "exec 3<>/dev/tcp/127.0.0.1/1" 2>&1 >/dev/null; ip -o addr show lo | grep -c "inet 127.0.0.1"',
    ].join('; ');
    const [cmd, ...args] = isolationCommand(process.getuid?.() ?? 0, ['sh', '-c', probe]);
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('lo');
    expect(lines.some((l) => /Network is unreachable/.test(l))).toBe(true);
    expect(lines).toContain('refused');
    expect(lines.at(-1)).toBe('1');
  });
});
