/**
 * `pnpm e2e` runs its control plane in a network namespace of its own that has nothing but a
 * loopback interface. Binding to 127.0.0.1 is not enough: the API server itself dials out, to
 * webhook and APIService backends (a Service's ClusterIP, 10.96.x.x here) and to whatever DNS
 * answers, and such traffic must never leave the machine. Inside the namespace every such dial
 * fails at once ("network is unreachable"), and the harness and kubectl run there too.
 */
import { spawn } from 'node:child_process';

/** Set in the isolated child: its value is the directory of the binaries (built outside, with network). */
export const ISOLATED_ENV = 'ZT_E2E_ISOLATED_BIN';

/**
 * The command that re-runs `command` in a new network namespace with `lo` up. As root, `unshare
 * --net`; otherwise a user namespace maps the caller to root first, which unprivileged users may
 * do on most Linux distributions. `--kill-child` ends the run if unshare itself is killed.
 */
export function isolationCommand(uid: number, command: readonly string[]): string[] {
  return [
    'unshare',
    ...(uid === 0 ? [] : ['--user', '--map-root-user']),
    '--net',
    '--fork',
    '--kill-child=SIGTERM',
    '--',
    'sh',
    '-c',
    'ip link set lo up && exec "$@"',
    'sh',
    ...command,
  ];
}

/**
 * Runs this same script in the isolated namespace and resolves with its exit code. Ctrl-C
 * reaches the child directly (same process group), which stops its processes itself; this
 * process only waits for it.
 */
export function runIsolated(bin: string, argv: readonly string[]): Promise<number> {
  const [cmd, ...args] = isolationCommand(process.getuid?.() ?? 0, [process.execPath, ...process.execArgv, ...argv]);
  const child = spawn(cmd!, args, { stdio: 'inherit', env: { ...process.env, [ISOLATED_ENV]: bin } });
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.once('error', (e) => {
      console.error(`e2e: error: cannot isolate the control plane in a network namespace (unshare --net): ${e.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 143)));
  });
}
