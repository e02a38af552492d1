/**
 * In-process synthesis: environments in, files out, nothing written. Each component of each
 * environment is one cdk8s Chart; its objects become one file each under `<env>/<component>/`.
 */
import { App, Chart } from 'cdk8s';
import { accessFile } from '../analysis/access';
import { checkIntent } from '../analysis/intent';
import { type ComponentMetadata, componentMetadata, metadataFiles } from '../argocd/component-metadata';
import { renderArgo } from '../argocd/render';
import { ARGOCD_DIR, type ArgoConfig } from '../argocd/settings';
import { PLATFORM, componentsFor } from '../platform/registry';
import type { Component, GroupKind, HelmSource } from './component';
import type { Environment } from './environment';
import { type ApiObject, type RenderedFile, objectFile } from './output';

export interface RenderedComponent {
  readonly env: string;
  readonly component: string;
  readonly objects: readonly ApiObject[];
  /** What Argo CD needs beside the manifests (`component.json`). */
  readonly metadata: ComponentMetadata;
  readonly helm?: HelmSource;
  /** Cluster-scoped kinds the component's chart installs (the AppProject must allow them). */
  readonly chartKinds: readonly GroupKind[];
}

export interface SynthOptions {
  /** Also render `argocd/` (AppProjects, ApplicationSets, root); only when `envs` is every environment. */
  readonly argocd?: ArgoConfig;
  /** The component catalogue. @default the registry (platform/registry.ts) */
  readonly catalogue?: readonly Component[];
  /** Which components an environment renders. @default the catalogue's enabled components and one per app */
  readonly componentsFor?: (env: Environment) => Component[];
}

export interface SynthResult {
  readonly files: RenderedFile[];
  readonly components: RenderedComponent[];
  readonly objects: number;
}

/** Renders the components of one environment to API objects (plain data). */
export function renderEnvironment(env: Environment, catalogue: readonly Component[] = PLATFORM, select: (env: Environment) => Component[] = (e) => componentsFor(e, catalogue)): RenderedComponent[] {
  // The App is only a construct root: synth() is never called, so nothing touches its outdir.
  const app = new App({ outdir: '.', recordConstructMetadata: false });
  const operatorFields = catalogue.flatMap((c) => c.operatorFields ?? []);
  return select(env).map((component) => {
    const chart = new Chart(app, `${env.name}-${component.name}`, { disableResourceNameHashes: true });
    component.render(chart, env);
    const errors = chart.node.validate();
    if (errors.length > 0) throw new Error(`${env.name}/${component.name}: ${errors.join('; ')}`);
    const objects = chart.toJson() as ApiObject[];
    const helm = helmSource(env, component);
    return { env: env.name, component: component.name, objects, metadata: componentMetadata(env, component, objects, operatorFields), chartKinds: component.chart?.clusterKinds ?? [], ...(helm ? { helm } : {}) };
  });
}

/** A component's chart, pinned at the environment's version, with its values for the environment. */
export function helmSource(env: Environment, component: Component): HelmSource | undefined {
  const c = component.chart;
  if (!c) return undefined;
  return { repoURL: c.repoURL, chart: c.chart, version: env.charts[c.chart] ?? c.version, releaseName: c.releaseName, values: c.values(env) as Record<string, unknown> };
}

export function synthesize(envs: readonly Environment[], options: SynthOptions = {}): SynthResult {
  const components = envs.flatMap((env) => renderEnvironment(env, options.catalogue, options.componentsFor));
  const files: RenderedFile[] = [];
  for (const c of components) {
    for (const obj of c.objects) files.push(objectFile(`${c.env}/${c.component}`, obj));
    files.push(...metadataFiles(`${c.env}/${c.component}`, c.metadata, c.helm));
  }
  let objects = components.reduce((n, c) => n + c.objects.length, 0);
  if (options.argocd) {
    const argo = renderArgo(options.argocd, envs, components);
    for (const obj of argo) files.push(objectFile(ARGOCD_DIR, obj));
    objects += argo.length;
  }
  for (const env of envs) {
    const rendered = components.filter((c) => c.env === env.name).flatMap((c) => c.objects);
    // The intent proof: throws on a violation, before anything is written.
    const proof = checkIntent(env, rendered);
    files.push(accessFile(env, proof));
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.path === files[i - 1]!.path) throw new Error(`two objects render to ${files[i]!.path}`);
  }
  return { files, components, objects };
}
