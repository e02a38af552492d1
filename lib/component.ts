import type { Chart } from 'cdk8s';
import type { Environment } from './environment';

/**
 * A component is one directory of `dist/<env>/` and one Argo CD Application: a function from
 * the environment to API objects in a chart. Components read the environment; they never
 * validate it (that happened when it was loaded).
 */
export interface Component {
  /** Directory name under `dist/<env>/`; a DNS label. */
  readonly name: string;
  /** Adds this component's objects for `env` to `chart`. */
  render(chart: Chart, env: Environment): void;
}

/** Labels stamped on every object the platform renders. */
export const COMMON_LABELS = { 'app.kubernetes.io/managed-by': 'zt-eks-gitops' } as const;
