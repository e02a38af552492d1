/**
 * What tier 2 checks after convergence (docs/e2e.md, "Tier 2"), read from the rendered tree: the
 * Secret each ExternalSecret must have produced, and the objects a deleted component or
 * environment must leave behind none of. Pure functions, plus a command for e2e/tier2.sh:
 *
 *   tsx e2e/expect.ts secrets <dist> <env>      `<namespace> <secret> <key,key...>` per ExternalSecret
 *   tsx e2e/expect.ts leaf <dist> <env>         the component nothing else waits for (highest wave)
 *   tsx e2e/expect.ts objects <dist> <env> [<component>]
 *                                               `<kubectl type> <namespace or -> <name>` per object
 *                                               Argo CD deletes with it, child Applications included
 *   tsx e2e/expect.ts kept <dist> <env>         `<Application> <AppProject>` per child kept by design
 *
 * What an environment's deletion keeps: the child Applications rendered with `Delete=false` (those
 * carrying Argo CD itself: its namespace and its CRDs, argocd/applicationset.ts) and their
 * objects, and any object annotated `Delete=false`.
 */
import { join } from 'node:path';
import type { ApiObject } from '../lib/output';
import { type ComponentStep, type Manifest, readManifests, readUnit } from './plan';

export interface ExpectedSecret {
  readonly namespace: string;
  readonly name: string;
  readonly keys: readonly string[];
}

interface ExternalSecretSpec {
  target?: { name?: string };
  data?: { secretKey?: string }[];
}

/** The Secret of every ExternalSecret: `spec.target.name` (default: its own name) and its `data` keys. */
export function expectedSecrets(manifests: readonly Manifest[]): ExpectedSecret[] {
  return manifests
    .filter((m) => m.object.apiVersion.startsWith('external-secrets.io/') && m.object.kind === 'ExternalSecret')
    .map((m) => {
      const spec = ((m.object as { spec?: ExternalSecretSpec }).spec ?? {}) as ExternalSecretSpec;
      return {
        namespace: m.object.metadata.namespace ?? 'default',
        name: spec.target?.name ?? m.object.metadata.name,
        keys: [...new Set((spec.data ?? []).flatMap((d) => (d.secretKey ? [d.secretKey] : [])))].sort(),
      };
    });
}

/** The component that nothing waits for: the highest sync wave, the last name among equals. */
export function leafComponent(components: readonly ComponentStep[]): string {
  if (components.length === 0) throw new Error('no components');
  return [...components].sort((a, b) => a.wave - b.wave || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).at(-1)!.name;
}

/** `kind.version.group` (or `kind` for the core group), the form `kubectl get` resolves exactly. */
export function kubectlType(o: Pick<ApiObject, 'apiVersion' | 'kind'>): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return group ? `${o.kind.toLowerCase()}.${version}.${group}` : o.kind.toLowerCase();
}

/** Whether Argo CD keeps the object when its Application is deleted (sync option Delete=false). */
export function keptOnDelete(o: ApiObject): boolean {
  const annotations = (o.metadata.annotations ?? {}) as Record<string, string>;
  const opts = annotations['argocd.argoproj.io/sync-options'] ?? '';
  return opts.split(',').some((x) => x.trim() === 'Delete=false');
}

/** The objects Argo CD must delete with these manifests, as `<type> <namespace or -> <name>` lines. */
export function deletedObjects(manifests: readonly Manifest[]): string[] {
  return manifests
    .map((m) => m.object)
    .filter((o) => !keptOnDelete(o))
    .map((o) => `${kubectlType(o)} ${o.metadata.namespace ?? '-'} ${o.metadata.name}`)
    .sort();
}

/** A child Application of `dist/argocd/<env>/`, as the deletion checks read it. */
export interface ChildApplication {
  readonly name: string;
  /** `spec.source.path` without `dist/<env>/`: the component's folder. */
  readonly component: string;
  readonly project: string;
  readonly kept: boolean;
}

/** The child Applications of an environment's `dist/argocd/<env>/` manifests. */
export function childApplications(manifests: readonly Manifest[]): ChildApplication[] {
  return manifests
    .filter((m) => m.object.kind === 'Application')
    .map((m) => {
      const spec = (m.object as { spec?: { project?: string; source?: { path?: string } } }).spec;
      const path = (spec?.source?.path ?? '').split('/');
      return { name: m.object.metadata.name, component: path.at(-1) ?? '', project: spec?.project ?? '', kept: keptOnDelete(m.object) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const APPLICATION_TYPE = 'application.v1alpha1.argoproj.io';

/** What deleting the environment must remove: every child Application not kept, and its component's objects. */
export function environmentDeletes(children: readonly ChildApplication[], components: readonly ComponentStep[], namespace: string): string[] {
  const kept = new Set(children.filter((c) => c.kept).map((c) => c.component));
  const lines = children.filter((c) => !c.kept).map((c) => `${APPLICATION_TYPE} ${namespace} ${c.name}`);
  lines.push(...deletedObjects(components.filter((c) => !kept.has(c.name)).flatMap((c) => c.manifests)));
  return lines.sort();
}

if (require.main === module) {
  const [what, dist, env, component] = process.argv.slice(2);
  try {
    if (!what || !dist || !env) throw new Error('usage: tsx e2e/expect.ts secrets|leaf|objects|kept <dist> <env> [<component>]');
    // Each read once, and only by the checks that need it: the unit (CRDs included) is the slow one.
    const unit = () => readUnit(dist, env);
    const argocd = () => readManifests(dist, join(dist, 'argocd', env));
    if (what === 'secrets')
      for (const s of expectedSecrets(unit().components.flatMap((c) => c.manifests))) console.log(`${s.namespace} ${s.name} ${s.keys.join(',')}`);
    else if (what === 'leaf') console.log(leafComponent(unit().components));
    else if (what === 'objects') {
      const apps = argocd();
      const children = childApplications(apps);
      const namespace = apps[0]?.object.metadata.namespace ?? 'argocd';
      const { components } = unit();
      if (component) {
        const chosen = components.find((c) => c.name === component);
        const app = children.find((c) => c.component === component);
        if (!chosen || !app) throw new Error(`${env}: no component '${component}' with an Application`);
        for (const l of [`${APPLICATION_TYPE} ${namespace} ${app.name}`, ...deletedObjects(chosen.manifests)].sort()) console.log(l);
      } else for (const l of environmentDeletes(children, components, namespace)) console.log(l);
    } else if (what === 'kept') {
      for (const c of childApplications(argocd()).filter((x) => x.kept)) console.log(`${c.name} ${c.project}`);
    } else throw new Error(`unknown check '${what}' (expected secrets, leaf, objects or kept)`);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(2);
  }
}
