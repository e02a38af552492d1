/**
 * The shape the three Twingate components share: installed into the environment's Twingate
 * namespace, with one pinned upstream chart whose typed values Argo CD renders in the cluster,
 * plus the objects `render` adds.
 */
import type { Chart } from 'cdk8s';
import type { Component, HelmSource } from '../lib/component';
import type { ChartName, Environment } from '../lib/environment';
import { resolveTwingate } from '../lib/environment-twingate';

export interface TwingateComponentProps<V> {
  readonly name: string;
  /** Argo CD Application wave (the operator before what needs its CRDs). */
  readonly wave: number;
  /** Chart repository: OCI registry without the scheme, or an https Helm repository. */
  readonly repoURL: string;
  /** The chart; its version comes from the environment's pinned `charts`. */
  readonly chart: ChartName;
  readonly releaseName: string;
  readonly values: (env: Environment) => V;
  readonly render: Component['render'];
}

export function twingateComponent<V extends object>(props: TwingateComponentProps<V>): Component {
  return {
    name: props.name,
    wave: props.wave,
    namespace: (env) => resolveTwingate(env).namespace,
    helm: (env): HelmSource => ({
      repoURL: props.repoURL,
      chart: props.chart,
      version: env.charts[props.chart],
      releaseName: props.releaseName,
      values: props.values(env) as Record<string, unknown>,
    }),
    render: (chart: Chart, env: Environment) => props.render(chart, env),
  };
}
