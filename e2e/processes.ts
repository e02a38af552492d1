/**
 * The processes `pnpm e2e` starts, and the guarantee that it stops them: each is started in a
 * process group of its own, recorded by PID (in memory and in `<logDir>/pids`), and stopped by
 * that PID only: SIGTERM, then SIGKILL after a grace period. Signal handlers and an exit hook
 * stop whatever is still running when the run fails, throws or is interrupted (Ctrl-C).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  /** Resolves with the exit code (or signal) once the process ends. */
  readonly exited: Promise<string>;
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Supervisor {
  private readonly running = new Map<number, { started: Started; child: ChildProcess }>();

  /** @param logDir where each process's output (`<name>.log`) and the PID list (`pids`) go. */
  constructor(
    readonly logDir: string,
    /** Milliseconds between SIGTERM and SIGKILL. @default 10000 */
    private readonly graceMs = 10_000,
  ) {}

  /** Starts `bin args` with stdout and stderr appended to `<logDir>/<name>.log`. */
  start(name: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Started {
    const log = join(this.logDir, `${name}.log`);
    const fd = openSync(log, 'a');
    // A group of its own: Ctrl-C in the terminal reaches this process, which then stops the
    // child itself, in order, instead of every child dying at once mid-write.
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true, env });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => {
        this.running.delete(child.pid!);
        resolve(signal ?? String(code));
      });
      child.once('error', (e) => {
        this.running.delete(child.pid!);
        resolve(`error: ${e.message}`);
      });
    });
    const started = { name, pid: child.pid, log, exited };
    this.running.set(child.pid, { started, child });
    appendFileSync(join(this.logDir, 'pids'), `${child.pid} ${name}\n`);
    return started;
  }

  /** PIDs still running, oldest first. */
  pids(): number[] {
    return [...this.running.keys()];
  }

  /** Stops one started process: SIGTERM, SIGKILL after the grace period. Resolves once it is gone. */
  async stop(started: Started): Promise<void> {
    if (!this.running.has(started.pid)) return;
    try {
      process.kill(started.pid, 'SIGTERM');
    } catch {
      // It exited just now; its exit event is on its way.
    }
    const gone = await Promise.race([started.exited.then(() => true), sleep(this.graceMs).then(() => false)]);
    if (!gone && this.running.has(started.pid)) {
      try {
        process.kill(started.pid, 'SIGKILL');
      } catch {
        // As above.
      }
      await started.exited;
    }
  }

  /** Stops every process still running, newest first (the apiserver before etcd). */
  async stopAll(): Promise<void> {
    for (const { started } of [...this.running.values()].reverse()) await this.stop(started);
  }

  /** Last resort in a synchronous `exit` hook: SIGKILL to every PID still recorded. */
  killAllNow(): void {
    for (const pid of this.running.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  /**
   * Stops everything on SIGINT/SIGTERM (then exits 130/143) and kills what is left on exit.
   * Returns a function that removes the handlers.
   */
  stopOnExit(onSignal: (signal: NodeJS.Signals) => void = () => {}): () => void {
    let stopping = false;
    // Ctrl-C may arrive twice (the terminal's SIGINT, then unshare's SIGTERM to its child): stop once.
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      onSignal(signal);
      this.stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    const exitHook = () => this.killAllNow();
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    process.on('exit', exitHook);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('exit', exitHook);
    };
  }
}

/** The PIDs recorded in a log directory's `pids` file (for a report, or a test). */
export function recordedPids(logDir: string): { pid: number; name: string }[] {
  return readFileSync(join(logDir, 'pids'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pid, name] = l.split(' ');
      return { pid: Number(pid), name: name! };
    });
}
