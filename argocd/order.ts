/**
 * The order Argo CD installs an environment's components in, derived, never hand-set: each
 * component's sync wave is its depth in the dependency graph (0 for a component that depends on
 * nothing, else one more than the deepest component it depends on). A component depends on
 * - the components it `requires` (when they are rendered: validation refused the others), and
 * - every rendered component of an earlier stage (`STAGES`: foundation, platform, apps,
 *   verification): namespaces and default deny before any workload, the platform before the
 *   apps that use it, checks after everything they check.
 * A cycle is a one-line user error naming it. See docs/argocd.md, "Ordering".
 */
import { STAGES, type Stage } from '../lib/component';
import { UserError } from '../lib/errors';

/** What the order needs to know about one rendered component. */
export interface OrderInput {
  readonly name: string;
  readonly requires: readonly string[];
  /** The component's stage; `apps` for the environment's apps. */
  readonly stage: Stage | 'apps';
}

/** One component with what it depends on (explicit and implied) and its wave. */
export interface Ordered {
  readonly name: string;
  readonly stage: Stage | 'apps';
  /** Components it waits for, sorted: its `requires` that are rendered, and every component of an earlier stage. */
  readonly dependsOn: readonly string[];
  /** Depth in the dependency graph: the Application's `argocd.argoproj.io/sync-wave`. */
  readonly wave: number;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The dependencies of each component: its rendered `requires`, and every component of an earlier stage. */
function dependencies(components: readonly OrderInput[]): Map<string, string[]> {
  const names = new Set(components.map((c) => c.name));
  const rank = (c: OrderInput) => STAGES.indexOf(c.stage);
  return new Map(
    components.map((c) => {
      const implied = components.filter((o) => rank(o) < rank(c)).map((o) => o.name);
      const explicit = c.requires.filter((r) => names.has(r) && r !== c.name);
      return [c.name, [...new Set([...explicit, ...implied])].sort(cmp)];
    }),
  );
}

/**
 * Waves for one environment's components, by name. Throws a one-line UserError when the
 * dependencies form a cycle (a `requires` loop, or a component requiring one of a later stage).
 */
export function orderComponents(env: string, components: readonly OrderInput[]): Ordered[] {
  const deps = dependencies(components);
  const wave = new Map<string, number>();
  const visiting: string[] = [];
  const depth = (name: string): number => {
    const known = wave.get(name);
    if (known !== undefined) return known;
    const at = visiting.indexOf(name);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), name].join(' -> ');
      throw new UserError(
        `environment ${env}: component dependencies form a cycle: ${cycle} (each name depends on the next: requires, or a stage after another in ${STAGES.join(', ')})`,
      );
    }
    visiting.push(name);
    const d = Math.max(-1, ...deps.get(name)!.map(depth)) + 1;
    visiting.pop();
    wave.set(name, d);
    return d;
  };
  const sorted = [...components].sort((a, b) => cmp(a.name, b.name));
  for (const c of sorted) depth(c.name);
  return sorted.map((c) => ({ name: c.name, stage: c.stage, dependsOn: deps.get(c.name)!, wave: wave.get(c.name)! }));
}
