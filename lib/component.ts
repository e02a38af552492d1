import type { Chart } from 'cdk8s';
import type { Environment } from './environment';

/**
 * An upstream Helm chart that Argo CD renders in the cluster (charts are not reachable at
 * synth time). The component's rendered manifests and these values travel together in one
 * multi-source Application.
 */
export interface HelmSource {
  /** Chart repository URL (`https://...`) or OCI registry without the `oci://` scheme, as Argo CD expects. */
  readonly repoURL: string;
  readonly chart: string;
  /** Pinned chart version (from the environment's `charts`). */
  readonly version: string;
  readonly releaseName: string;
  /** Typed values; never a secret value (reference existing Secrets instead). */
  readonly values: Readonly<Record<string, unknown>>;
}

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
  /** The namespace the component installs into (its Argo CD Application's destination namespace). */
  namespace?(env: Environment): string;
  /** The upstream chart this component installs, if any. */
  helm?(env: Environment): HelmSource;
  /**
   * Ordering intent between components on a fresh cluster, lower first: rendered into
   * component.json and onto the Application as its sync wave. Generated Applications do not
   * honour waves by themselves; docs/argocd.md ("Ordering") says what does. @default 0
   */
  readonly wave?: number;
}

/** Labels stamped on every object the platform renders. */
export const COMMON_LABELS = { 'app.kubernetes.io/managed-by': 'zt-eks-gitops' } as const;
