/**
 * Everything under `dist/argocd/`: the bootstrap project and root Application, then per
 * environment its AppProject and ApplicationSet. Rendered only when synth renders every
 * environment (the set of ApplicationSets is the set of environments).
 */
import { App, Chart } from 'cdk8s';
import type { Environment } from '../lib/environment';
import type { ApiObject } from '../lib/output';
import { addApplicationSets } from './applicationset';
import { addBootstrap } from './bootstrap';
import { componentKind } from './component-metadata';
import { addProject, type ProjectInput } from './project';
import type { ArgoConfig } from './settings';

export function renderArgo(config: ArgoConfig, envs: readonly Environment[], components: readonly (ProjectInput & { env: string })[]): ApiObject[] {
  const app = new App({ outdir: '.', recordConstructMetadata: false });
  const chart = new Chart(app, 'argocd', { disableResourceNameHashes: true });
  addBootstrap(chart, config);
  for (const env of envs) {
    addProject(
      chart,
      config,
      env,
      components.filter((c) => c.env === env.name),
    );
    const platform = components.filter((c) => c.env === env.name && componentKind(env, c.metadata.name) === 'platform').map((c) => c.metadata.name);
    addApplicationSets(chart, config, env, platform);
  }
  return chart.toJson() as ApiObject[];
}
