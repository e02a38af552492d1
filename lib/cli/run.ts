/**
 * Shared CLI plumbing: user errors become one `error: ...` line and exit 1; anything else is a
 * bug and keeps its stack (exit 2). `main` functions return an exit code so tests can run them
 * in-process.
 */
import { CommanderError } from 'commander';
import { UserError } from '../errors';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Whether stderr is a terminal: progress lines go there only then (see {@link progress}). @default false */
  readonly tty?: boolean;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  get tty() {
    return process.stderr.isTTY === true;
  },
};

/** A progress line on stderr, printed on a terminal only: logs, pipes and CI stay quiet. */
export function progress(io: Io, line: string): void {
  if (io.tty) io.err(line);
}

/** `1 environment`, `3 environments`. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

export async function guard(io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UserError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    if (e instanceof CommanderError) {
      // commander already printed its message (through the configured output).
      return e.exitCode === 0 ? 0 : 1;
    }
    io.err(`internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 2;
  }
}

/** Runs `main` when the file is executed directly, and exits with its code. */
export function runIfMain(mod: NodeModule, main: (argv: string[], io: Io) => Promise<number>): void {
  if (require.main === mod) {
    main(process.argv.slice(2), processIo).then((code) => {
      process.exitCode = code;
    });
  }
}
