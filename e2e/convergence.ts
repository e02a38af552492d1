/**
 * Tier 2's verdict (docs/e2e.md, "Tier 2"): which Argo CD Applications of an environment are
 * Synced and Healthy, how many seconds each took, and one line per expected Application then
 * `tier2: N passed, N failed`. An expected Application that was never created counts as failed:
 * a parent stuck on an earlier sync wave never creates the later ones.
 *
 * Pure parts, plus a command for e2e/tier2.sh:
 *   kubectl get applications -n argocd -o json | tsx e2e/convergence.ts <times file> [--checks <file>] <expected name...>
 * where the times file holds `<name> <seconds>` lines, one per Application when it first was
 * Synced and Healthy, and the checks file the other checks of the run (a synced Secret, a prune),
 * one `PASS|FAIL <name>: <detail>` line each. Exit 0 when everything passed, 1 otherwise.
 */
import { readFileSync } from 'node:fs';

/** What tier 2 reads of one Application. */
export interface AppStatus {
  readonly name: string;
  /** `status.sync.status`, `Unknown` when absent. */
  readonly sync: string;
  /** `status.health.status`, `Unknown` when absent. */
  readonly health: string;
  /** Why it is not there yet: the last operation's message, else its conditions' messages. */
  readonly message: string;
}

interface ApplicationJson {
  metadata: { name: string };
  status?: {
    sync?: { status?: string };
    health?: { status?: string };
    operationState?: { message?: string };
    conditions?: { message?: string }[];
  };
}

/** Longest message kept per Application: Argo CD's carry whole webhook URLs and retry counts. */
export const MESSAGE_LIMIT = 300;

/** The Applications of `kubectl get applications -o json`, sorted by name. */
export function parseApplications(json: string): AppStatus[] {
  const items = (JSON.parse(json) as { items?: ApplicationJson[] }).items ?? [];
  return items
    .map((a) => {
      const s = a.status ?? {};
      const message =
        s.operationState?.message ||
        (s.conditions ?? [])
          .map((c) => c.message ?? '')
          .filter(Boolean)
          .join('; ');
      return {
        name: a.metadata.name,
        sync: s.sync?.status ?? 'Unknown',
        health: s.health?.status ?? 'Unknown',
        message: message.replace(/\s+/g, ' ').trim().slice(0, MESSAGE_LIMIT),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function isConverged(s: AppStatus): boolean {
  return s.sync === 'Synced' && s.health === 'Healthy';
}

/** `<name> <seconds>` lines (the first time each Application converged); later repeats are ignored. */
export function parseTimes(text: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (m && !times.has(m[1]!)) times.set(m[1]!, Number(m[2]));
  }
  return times;
}

/** A check of the run besides an Application's status: a synced Secret, a completed prune. */
export interface Check {
  readonly ok: boolean;
  /** `<name>: <detail>`, as printed. */
  readonly text: string;
}

/** `PASS <text>` and `FAIL <text>` lines; anything else is an error naming the line. */
export function parseChecks(text: string): Check[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(PASS|FAIL) (\S.*)$/.exec(l.trim());
      if (!m) throw new Error(`malformed check line '${l}' (expected 'PASS <name>: <detail>' or 'FAIL ...')`);
      return { ok: m[1] === 'PASS', text: m[2]! };
    });
}

export interface Verdict {
  readonly lines: string[];
  readonly passed: number;
  readonly failed: number;
}

/**
 * One line per expected Application (sorted), then the unexpected ones that exist, then the
 * other checks in their order, then the totals. An Application passes when it is Synced and Healthy now; its seconds are the first time
 * it was seen so (`times`), or unknown.
 */
export function verdict(
  statuses: readonly AppStatus[],
  times: ReadonlyMap<string, number>,
  expected: readonly string[],
  checks: readonly Check[] = [],
): Verdict {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const names = [...new Set([...expected].sort()), ...statuses.map((s) => s.name).filter((n) => !expected.includes(n))];
  const lines: string[] = [];
  let passed = 0;
  for (const name of names) {
    const s = byName.get(name);
    if (!s) {
      lines.push(`tier2: ${name}: FAILED: never created`);
      continue;
    }
    if (isConverged(s)) {
      passed++;
      const t = times.get(name);
      lines.push(`tier2: ${name}: Synced Healthy${t === undefined ? '' : ` after ${t} s`}`);
    } else {
      lines.push(`tier2: ${name}: FAILED: ${s.sync} ${s.health}${s.message ? `: ${s.message}` : ''}`);
    }
  }
  for (const c of checks) {
    if (c.ok) passed++;
    lines.push(`tier2: ${c.ok ? '' : 'FAILED: '}${c.text}`);
  }
  const failed = names.length + checks.length - passed;
  lines.push(`tier2: ${passed} passed, ${failed} failed`);
  return { lines, passed, failed };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const timesFile = args.shift();
  const checksFile = args[0] === '--checks' ? args.splice(0, 2)[1] : undefined;
  const expected = args;
  if (!timesFile || expected.length === 0) {
    console.error('error: usage: tsx e2e/convergence.ts <times file> [--checks <file>] <expected Application...> (applications JSON on stdin)');
    process.exit(2);
  }
  let checks: Check[];
  try {
    checks = checksFile ? parseChecks(readFileSync(checksFile, 'utf8')) : [];
  } catch (e) {
    console.error(`error: ${checksFile}: ${(e as Error).message}`);
    process.exit(2);
  }
  const v = verdict(parseApplications(readFileSync(0, 'utf8')), parseTimes(readFileSync(timesFile, 'utf8')), expected, checks);
  console.log(v.lines.join('\n'));
  process.exitCode = v.failed > 0 ? 1 : 0;
}
