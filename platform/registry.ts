/**
 * The registry: every platform component, once. Everything else that lists components is
 * derived from here: the names an environment may switch on, the settings blocks of the
 * environment schema, the chart pins, Argo CD's chart facts and operator-written fields, the
 * workloads flows may name and the dependency checks.
 *
 * Adding a platform component = one folder under `platform/` exporting a `Component`, plus one
 * line in {@link PLATFORM}; its settings block, if any, becomes a typed field of environment
 * files from that line alone.
 */
import type { z } from 'zod';
import { appComponent } from '../apps/app';
import argoConfig from '../argocd/config';
import { gitHost, parseArgoConfig } from '../argocd/settings';
import type { CrossClusterFlowInput, LatticeInput } from '../lib/clusters';
import type { Component, UpstreamCrds } from '../lib/component';
import { type BaseEnvironmentInput, type Environment, type Problem, validateEnvironment } from '../lib/environment';
import { admissionPoliciesComponent } from './admission-policies';
import { argoCdComponent } from './argo-cd';
import { certManager } from './cert-manager';
import { externalSecrets } from './external-secrets';
import { kyverno } from './kyverno';
import { namespaces } from './namespaces';
import { networkPolicy } from './network-policy';
import { networkProbes } from './probes';
import { spire } from './spire';
import { spireCrds } from './spire-crds';
import { tailscaleOperator } from './tailscale-operator';
import { twingateAccessGateway } from './twingate-access-gateway';
import { twingateConnector } from './twingate-connector';
import { twingateOperator } from './twingate-operator';
import { vpcLattice } from './vpc-lattice';

/** Argo CD itself, with the namespace and repository of `argocd/config.ts` (checked when first read). */
const argoCd = argoCdComponent(() => {
  const config = parseArgoConfig(argoConfig);
  return { namespace: config.namespace, git: gitHost(config.repoURL) };
});

/** The platform components, in the order they are listed and rendered. */
export const PLATFORM = [
  namespaces,
  networkPolicy,
  certManager,
  externalSecrets,
  twingateOperator,
  twingateAccessGateway,
  twingateConnector,
  tailscaleOperator,
  networkProbes,
  admissionPoliciesComponent,
  argoCd,
  spireCrds,
  spire,
  vpcLattice,
  kyverno,
] as const satisfies readonly Component[];

/** `{ <key>?: <block input> }` for a component with a settings block. */
type SettingsInputOf<C> = C extends { readonly settings: { readonly key: infer K extends string; readonly schema: infer S extends z.ZodType } }
  ? { [P in K]?: z.input<S> }
  : Record<never, never>;
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * What an environment file passes to {@link defineEnvironment}: the base fields plus the settings
 * block of every registered component, typed from the registry itself.
 */
export type EnvironmentInput = BaseEnvironmentInput & Intersection<SettingsInputOf<(typeof PLATFORM)[number]>>;

/** What a cluster of a multi-cluster environment, or the environment for all its clusters, may set (`vpcLattice` is derived). */
type ClusterFields = Partial<Omit<EnvironmentInput, 'name' | 'vpcLattice'>>;

/**
 * A multi-cluster environment file (lib/clusters.ts, docs/multi-cluster.md): fields shared by every
 * cluster at the top, each cluster's own fields in its `clusters` entry (never both), the VPC
 * Lattice service network and the calls between clusters.
 */
export type MultiClusterEnvironmentInput = ClusterFields & {
  name: string;
  lattice: LatticeInput;
  clusters: (ClusterFields & { name: string })[];
  crossClusterFlows?: CrossClusterFlowInput[];
  vpcLattice?: never;
};

/** Identity function that gives environment files type checking and completion (one cluster, or several). */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput;
export function defineEnvironment(input: MultiClusterEnvironmentInput): MultiClusterEnvironmentInput;
export function defineEnvironment(input: EnvironmentInput | MultiClusterEnvironmentInput): EnvironmentInput | MultiClusterEnvironmentInput {
  return input;
}

/** Validates an environment against a catalogue of components. @default the registry */
export function validate(input: unknown, catalogue: readonly Component[] = PLATFORM): { env: Environment } | { problem: Problem } {
  return validateEnvironment(input, catalogue);
}

/** The components an environment renders: its enabled platform components and one per app, by name. */
export function componentsFor(env: Environment, catalogue: readonly Component[] = PLATFORM): Component[] {
  const platform = catalogue.filter((c) => env.components.includes(c.name));
  const list = [...platform, ...Object.keys(env.apps).map(appComponent)];
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every chart a catalogue's components install, with its default pinned version. */
export function pinnedCharts(catalogue: readonly Component[] = PLATFORM) {
  return catalogue.filter((c) => c.chart).map((c) => ({ component: c.name, ...c.chart! }));
}

/** The chart versions environments render (defaults and overrides), once each, sorted: what `pnpm charts pull` fetches. */
export function chartsOf(envs: readonly Environment[], catalogue: readonly Component[] = PLATFORM): { chart: string; version: string; repository: string }[] {
  const refs = new Map<string, { chart: string; version: string; repository: string }>();
  for (const env of envs) {
    for (const c of componentsFor(env, catalogue)) {
      if (!c.chart) continue;
      const version = env.charts[c.chart.chart] ?? c.chart.version;
      refs.set(`${c.chart.chart}@${version}`, { chart: c.chart.chart, version, repository: c.chart.repository });
    }
  }
  return [...refs.keys()].sort().map((k) => refs.get(k)!);
}

/** The upstream CRD bundles the environments' enabled components deliver, once each, by name: what `pnpm charts pull` fetches. */
export function crdBundlesOf(envs: readonly Environment[], catalogue: readonly Component[] = PLATFORM): UpstreamCrds[] {
  const bundles = new Map<string, UpstreamCrds>();
  for (const env of envs) for (const c of componentsFor(env, catalogue)) if (c.crds) bundles.set(c.crds.name, c.crds);
  return [...bundles.keys()].sort().map((k) => bundles.get(k)!);
}

/** Repositories of the charts registered components install, by chart name. */
export function chartRepositories(catalogue: readonly Component[] = PLATFORM): Record<string, string> {
  return Object.fromEntries(pinnedCharts(catalogue).map((c) => [c.chart, c.repository]));
}

/** A platform component by name; an unknown name is a programming error. */
export function platformComponent(name: string): Component {
  const c = PLATFORM.find((x) => x.name === name);
  if (!c) throw new Error(`internal: no platform component named ${JSON.stringify(name)}`);
  return c;
}
