/**
 * kubectl against the e2e cluster, and how its output is judged: any `Warning:` line on stderr
 * (Pod Security "would violate", deprecated APIs, unknown fields) is a failure, as is any other
 * stderr line or a non-zero exit. Objects are applied the way Argo CD applies them: server-side,
 * field manager `argocd-controller`, strict field validation, as the application controller's
 * ServiceAccount.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What stderr says: `Warning:` lines and everything else. */
export interface Stderr {
  readonly warnings: string[];
  readonly errors: string[];
}

/** Splits kubectl's stderr into warnings (`Warning: ...`) and other lines; blank lines are dropped. */
export function classifyStderr(stderr: string): Stderr {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  return { warnings: lines.filter((l) => /^Warning: /.test(l)), errors: lines.filter((l) => !/^Warning: /.test(l)) };
}

/**
 * Warnings that are not the platform's to fix, each one exact line. Argo CD recognises its
 * AppProject finalizer by this exact name only (`ResourcesFinalizerName`, v3.5.7), which has no
 * path, so the API server advises a domain-qualified one; a qualified name would silently disable
 * the finalizer (docs/argocd.md, argocd/project.ts).
 */
export const ACCEPTED_WARNINGS: ReadonlySet<string> = new Set([
  'Warning: metadata.finalizers: "resources-finalizer.argocd.argoproj.io": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers',
]);

/** Problems of an apply: each warning (but the accepted ones) and error line, plus the exit status when stderr said nothing. */
export function problemsOf(r: KubectlResult): string[] {
  const { warnings, errors } = classifyStderr(r.stderr);
  const problems = [...errors, ...warnings.filter((w) => !ACCEPTED_WARNINGS.has(w))];
  if (r.status !== 0 && problems.length === 0) problems.push(`kubectl exited ${r.status}`);
  return problems;
}

/** Arguments of a server-side apply of files, as Argo CD's controller would apply them. */
export function applyArgs(files: readonly string[], as: string | undefined): string[] {
  return [
    'apply',
    '--server-side',
    '--field-manager=argocd-controller',
    '--validate=strict',
    ...(as ? [`--as=${as}`] : []),
    ...files.flatMap((f) => ['-f', f]),
  ];
}

export class Kubectl {
  /** @param cacheRoot a directory for discovery caches: each call gets a fresh one, so CRDs applied a moment ago are seen. */
  constructor(
    private readonly bin: string,
    private readonly kubeconfig: string,
    private readonly cacheRoot: string,
  ) {}

  run(args: readonly string[], input?: string): Promise<KubectlResult> {
    const cacheDir = mkdtempSync(join(this.cacheRoot, 'kubectl-'));
    return new Promise((resolve) => {
      const child = execFile(
        this.bin,
        [`--kubeconfig=${this.kubeconfig}`, `--cache-dir=${cacheDir}`, ...args],
        { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ status, stdout, stderr });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** Server-side apply of files as `as` (a user to impersonate; the admin when undefined). */
  apply(files: readonly string[], as?: string): Promise<KubectlResult> {
    return this.run(applyArgs(files, as));
  }
}
