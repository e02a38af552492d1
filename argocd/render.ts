/**
 * Everything under `dist/argocd/`: the bootstrap project and root Application, then per
 * environment its three AppProjects and its ApplicationSet (synced by the root), and in
 * `dist/argocd/<env>/` its child Applications (synced by the environment's parent
 * Applications). Rendered only when synth renders every environment (the set of
 * ApplicationSets is the set of environments).
 */
import { App, Chart } from 'cdk8s';
import type { Stage } from '../lib/component';
import type { Environment } from '../lib/environment';
import { UserError } from '../lib/errors';
import type { ApiObject } from '../lib/output';
import { addApplicationSet, addChildApplications, childrenDir } from './applicationset';
import { addBootstrap } from './bootstrap';
import { componentKind } from './component-metadata';
import { orderComponents } from './order';
import { addProject, type ProjectInput } from './project';
import type { ArgoConfig } from './settings';

/** One rendered component as the Argo CD renderers need it. */
export interface ArgoInput extends ProjectInput {
  readonly env: string;
  /** The component's `requires`. */
  readonly requires: readonly string[];
  /** The component's stage (apps are told apart by the environment). @default "platform" */
  readonly stage?: Stage;
}

/** The Argo CD objects, each with the directory under dist/ it is written to (`argocd` or `argocd/<env>`). */
export function renderArgo(config: ArgoConfig, envs: readonly Environment[], components: readonly ArgoInput[]): { dir: string; object: ApiObject }[] {
  const app = new App({ outdir: '.', recordConstructMetadata: false });
  const top = new Chart(app, 'argocd', { disableResourceNameHashes: true });
  addBootstrap(top, config);
  const out: { dir: string; object: ApiObject }[] = [];
  for (const env of envs) {
    const own = components.filter((c) => c.env === env.name);
    addProject(top, config, env, own);
    addApplicationSet(top, config, env);
    const kinds = new Map(own.map((c) => [c.metadata.name, componentKind(env, c.metadata.name)]));
    const order = orderComponents(
      env.name,
      own.map((c) => ({ name: c.metadata.name, requires: c.requires, stage: kinds.get(c.metadata.name) === 'apps' ? 'apps' : (c.stage ?? 'platform') })),
    );
    const children = new Chart(app, `argocd-${env.name}`, { disableResourceNameHashes: true });
    addChildApplications(
      children,
      config,
      env,
      own.map((c) => ({ ...c, kind: kinds.get(c.metadata.name)!, order: order.find((o) => o.name === c.metadata.name)! })),
    );
    out.push(...(children.toJson() as ApiObject[]).map((object) => ({ dir: childrenDir(env.name), object })));
  }
  const argoCd = components.find((c) => c.metadata.name === ARGO_CD && c.metadata.namespace !== config.namespace);
  if (argoCd) {
    throw new UserError(
      `Argo CD config: namespace: ${JSON.stringify(config.namespace)} is not where the argo-cd component installs Argo CD in environment ${argoCd.env} (${JSON.stringify(argoCd.metadata.namespace)}, from argocd/config.ts); render with one config`,
    );
  }
  return [...(top.toJson() as ApiObject[]).map((object) => ({ dir: 'argocd', object })), ...out];
}

/** The component that installs Argo CD itself (platform/argo-cd). */
export const ARGO_CD = 'argo-cd';
