/**
 * In-process synthesis: environments in, files out, nothing written. Each component of each
 * environment is one cdk8s Chart; its objects become one file each under `<env>/<component>/`.
 */
import { App, Chart } from 'cdk8s';
import { accessFile } from '../analysis/access';
import { type ComponentMetadata, componentMetadata, metadataFiles } from '../argocd/component-metadata';
import { renderArgo } from '../argocd/render';
import { ARGOCD_DIR, type ArgoConfig } from '../argocd/settings';
import type { Component, HelmSource } from './component';
import { componentsFor as registry } from './components';
import type { Environment } from './environment';
import { type ApiObject, type RenderedFile, objectFile } from './output';

export interface RenderedComponent {
  readonly env: string;
  readonly component: string;
  readonly objects: readonly ApiObject[];
  /** What Argo CD needs beside the manifests (`component.json`). */
  readonly metadata: ComponentMetadata;
  readonly helm?: HelmSource;
}

export interface SynthOptions {
  /** Also render `argocd/` (AppProjects, ApplicationSets, root); only when `envs` is every environment. */
  readonly argocd?: ArgoConfig;
  /** The component catalogue. @default the registry in lib/components.ts */
  readonly componentsFor?: (env: Environment) => Component[];
}

export interface SynthResult {
  readonly files: RenderedFile[];
  readonly components: RenderedComponent[];
  readonly objects: number;
}

/** Renders the components of one environment to API objects (plain data). */
export function renderEnvironment(env: Environment, componentsFor: (env: Environment) => Component[] = registry): RenderedComponent[] {
  // The App is only a construct root: synth() is never called, so nothing touches its outdir.
  const app = new App({ outdir: '.', recordConstructMetadata: false });
  return componentsFor(env).map((component) => {
    const chart = new Chart(app, `${env.name}-${component.name}`, { disableResourceNameHashes: true });
    component.render(chart, env);
    const errors = chart.node.validate();
    if (errors.length > 0) throw new Error(`${env.name}/${component.name}: ${errors.join('; ')}`);
    const objects = chart.toJson() as ApiObject[];
    const helm = component.helm?.(env);
    return { env: env.name, component: component.name, objects, metadata: componentMetadata(env, component, objects), ...(helm ? { helm } : {}) };
  });
}

export function synthesize(envs: readonly Environment[], options: SynthOptions = {}): SynthResult {
  const components = envs.flatMap((env) => renderEnvironment(env, options.componentsFor));
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
  // The intent check (throws on a violation, before anything is written) and its access map.
  for (const env of envs) files.push(accessFile(env, components.filter((c) => c.env === env.name).flatMap((c) => c.objects)));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.path === files[i - 1]!.path) throw new Error(`two objects render to ${files[i]!.path}`);
  }
  return { files, components, objects };
}
