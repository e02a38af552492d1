/**
 * What `pnpm e2e` applies to one fresh cluster, and in which order: the rendered tree of one
 * environment (`dist/<env>/`) or of Argo CD's own objects (`dist/argocd/`), read back from the
 * files Argo CD would read. Pure: reads files, starts nothing.
 *
 * Order, as a first sync into an empty cluster needs it: every Namespace, then every CRD (the
 * unit's own, then those only an outside directory supplies), then the components by Argo CD
 * sync wave (component.json `wave`) and name, each component's objects by their own sync-wave
 * annotation, then kind (Helm's install order), then file name; webhook configurations and
 * APIServices last of all.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ApiObject } from '../lib/output';

/** One object of a rendered file. */
export interface Manifest {
  /** Path relative to the dist directory, `/`-separated. */
  readonly file: string;
  readonly object: ApiObject;
}

/** A component directory (an Argo CD Application) and its objects, Namespaces and CRDs excluded. */
export interface ComponentStep {
  readonly name: string;
  readonly wave: number;
  readonly manifests: readonly Manifest[];
}

/** One cluster's worth of objects, in apply order. */
export interface UnitPlan {
  /** `dev`, `staging`, ... or `argocd` for dist/argocd/. */
  readonly name: string;
  /** Namespaces created before anything else because no rendered file creates them (what `pnpm bootstrap` creates). */
  readonly bootstrapNamespaces: readonly string[];
  readonly namespaces: readonly Manifest[];
  /** CRDs from outside dist/ (the `--crds` directory) that define kinds this unit uses but does not deliver. */
  readonly externalCrds: readonly Manifest[];
  readonly crds: readonly Manifest[];
  readonly components: readonly ComponentStep[];
  /**
   * Webhook configurations and APIServices, applied after everything else: their backends are
   * Pods that do not run in tier 1, and a webhook registered earlier would refuse the objects it
   * matches (failurePolicy Fail) while an unavailable APIService breaks discovery.
   */
  readonly lastly: readonly Manifest[];
}

/** Kinds whose backends run in the cluster (see {@link UnitPlan.lastly}). */
export const LAST_KINDS: ReadonlySet<string> = new Set([
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'apiregistration.k8s.io/APIService',
]);

/** Kinds in the order Helm installs them; later kinds may refer to earlier ones. Others go last. */
export const KIND_ORDER: readonly string[] = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
];

/** Files in a component directory that are not Kubernetes objects (the ApplicationSet excludes them too). */
const NOT_OBJECTS = new Set(['component.json', 'values.yaml']);

const isYaml = (f: string) => f.endsWith('.yaml') || f.endsWith('.yml');

/** `group/kind` of an object (`/Kind` for the core group). */
export const groupKind = (o: Pick<ApiObject, 'apiVersion' | 'kind'>): string => `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`;

/** `group/kind` a CRD defines. */
const definedKind = (crd: ApiObject): string => {
  const spec = crd.spec as { group: string; names: { kind: string } };
  return `${spec.group}/${spec.names.kind}`;
};

/** Every object of one YAML file, its path relative to `root`. */
function readFile(root: string, path: string): Manifest[] {
  const file = relative(root, path).split('\\').join('/');
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as ApiObject | null)
    .filter((o): o is ApiObject => !!o && typeof o === 'object' && typeof o.kind === 'string')
    .map((object) => ({ file, object }));
}

/** Every object of the YAML files directly in `dir` (not values.yaml), paths relative to `root`. */
export function readManifests(root: string, dir: string): Manifest[] {
  return readdirSync(dir)
    .filter((f) => isYaml(f) && !NOT_OBJECTS.has(f))
    .sort()
    .flatMap((f) => readFile(root, join(dir, f)));
}

/** Every CRD under a directory, recursively (the shape of ../shared/upstream/crds/). */
export function readCrdDirectory(dir: string): Manifest[] {
  const walk = (d: string): Manifest[] =>
    readdirSync(d)
      .sort()
      .flatMap((f) => {
        const p = join(d, f);
        if (statSync(p).isDirectory()) return walk(p);
        return isYaml(f) ? readFile(dir, p) : [];
      });
  return walk(dir).filter((m) => m.object.kind === 'CustomResourceDefinition');
}

const syncWave = (o: ApiObject): number => {
  const v = (o.metadata.annotations as Record<string, string> | undefined)?.['argocd.argoproj.io/sync-wave'];
  return v === undefined ? 0 : Number(v);
};

const kindRank = (kind: string): number => {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
};

/** Objects of one component in apply order: sync-wave annotation, kind, file. */
export function orderManifests(manifests: readonly Manifest[]): Manifest[] {
  return [...manifests].sort(
    (a, b) => syncWave(a.object) - syncWave(b.object) || kindRank(a.object.kind) - kindRank(b.object.kind) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0),
  );
}

/** Inputs of {@link planUnit}, already read: one entry per component directory. */
export interface UnitInput {
  readonly name: string;
  readonly components: readonly { readonly name: string; readonly wave: number; readonly manifests: readonly Manifest[] }[];
  /** CRDs available from outside dist/, e.g. ../shared/upstream/crds. @default [] */
  readonly crdLibrary?: readonly Manifest[];
  /** Namespaces the bootstrap creates before any rendered object. @default [] */
  readonly bootstrapNamespaces?: readonly string[];
}

/** The apply plan of one unit (see the file comment for the order). */
export function planUnit(input: UnitInput): UnitPlan {
  const all = input.components.flatMap((c) => c.manifests);
  const namespaces = all.filter((m) => m.object.kind === 'Namespace');
  const crds = all.filter((m) => m.object.kind === 'CustomResourceDefinition');
  const delivered = new Set(crds.map((m) => definedKind(m.object)));
  const used = new Set(all.map((m) => groupKind(m.object)));
  const externalCrds: Manifest[] = [];
  const taken = new Set<string>();
  for (const m of input.crdLibrary ?? []) {
    const kind = definedKind(m.object);
    if (used.has(kind) && !delivered.has(kind) && !taken.has(kind)) {
      externalCrds.push(m);
      taken.add(kind);
    }
  }
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const hoisted = (m: Manifest) => m.object.kind === 'Namespace' || m.object.kind === 'CustomResourceDefinition' || LAST_KINDS.has(groupKind(m.object));
  const components = [...input.components]
    .sort((a, b) => a.wave - b.wave || byName(a, b))
    .map((c) => ({ name: c.name, wave: c.wave, manifests: orderManifests(c.manifests.filter((m) => !hoisted(m))) }))
    .filter((c) => c.manifests.length > 0);
  return {
    name: input.name,
    bootstrapNamespaces: [...(input.bootstrapNamespaces ?? [])].sort(),
    namespaces: [...namespaces].sort(byFile),
    externalCrds,
    crds: [...crds].sort(byFile),
    components,
    lastly: all.filter((m) => LAST_KINDS.has(groupKind(m.object))).sort(byFile),
  };
}

const byFile = (a: Manifest, b: Manifest) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);

/** Units of a dist directory: each environment directory, then `argocd` when present. */
export function unitNames(dist: string): string[] {
  if (!existsSync(dist)) throw new Error(`dist directory ${dist} does not exist: run pnpm synth`);
  const envs = readdirSync(dist)
    .filter((d) => d !== 'argocd' && statSync(join(dist, d)).isDirectory())
    .sort();
  return existsSync(join(dist, 'argocd')) ? [...envs, 'argocd'] : envs;
}

/**
 * The units `--env` names, in dist/ order: a unit by its name, or a multi-cluster environment
 * by its file's name, which selects its clusters' units (`lattice` -> `lattice-cluster1`,
 * `lattice-cluster2`; docs/multi-cluster.md). `unknown` lists the names that select nothing.
 */
export function selectUnits(all: readonly string[], wanted: readonly string[]): { units: string[]; unknown: string[] } {
  const pick = (w: string) => (all.includes(w) ? [w] : all.filter((u) => u !== 'argocd' && u.startsWith(`${w}-`)));
  const unknown = wanted.filter((w) => pick(w).length === 0);
  const chosen = new Set(wanted.flatMap(pick));
  return { units: wanted.length > 0 ? all.filter((u) => chosen.has(u)) : [...all], unknown };
}

/**
 * Reads one unit from dist/. An environment's components are its subdirectories with a
 * component.json; dist/argocd/ is one component applied into the `argocd` Namespace that the
 * bootstrap creates.
 */
export function readUnit(dist: string, name: string, crdLibrary: readonly Manifest[] = []): UnitPlan {
  const dir = join(dist, name);
  if (name === 'argocd') {
    return planUnit({ name, components: [{ name: 'argocd', wave: 0, manifests: readManifests(dist, dir) }], crdLibrary, bootstrapNamespaces: ['argocd'] });
  }
  const components = readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'component.json')))
    .map((d) => {
      const meta = JSON.parse(readFileSync(join(dir, d, 'component.json'), 'utf8')) as { component?: { wave?: number } };
      return { name: d, wave: meta.component?.wave ?? 0, manifests: readManifests(dist, join(dir, d)) };
    });
  return planUnit({ name, components, crdLibrary });
}

/** How many objects a plan applies. */
export const objectCount = (p: UnitPlan): number =>
  p.bootstrapNamespaces.length +
  p.namespaces.length +
  p.externalCrds.length +
  p.crds.length +
  p.components.reduce((n, c) => n + c.manifests.length, 0) +
  p.lastly.length;
