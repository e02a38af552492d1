/**
 * In-process synthesis: environments in, files out, nothing written. Each component of each
 * environment is one cdk8s Chart; its objects become one file each under `<env>/<component>/`.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, Chart } from 'cdk8s';
import { parse } from 'yaml';
import { accessFile } from '../analysis/access';
import { checkIntent } from '../analysis/intent';
import { type ComponentMetadata, componentMetadata, METADATA_FILE, metadataFiles, VALUES_FILE } from '../argocd/component-metadata';
import { renderArgo } from '../argocd/render';
import type { ArgoConfig } from '../argocd/settings';
import { ARGO_CD_COMPONENT } from '../platform/argo-cd';
import { componentsFor, PLATFORM } from '../platform/registry';
import { type CrdLock, crdsRenderedFrom, DEFAULT_CRD_LOCK_FILE, defaultCrdsDir, readCrdLock, readCrds } from './charts/crds';
import { DEFAULT_LOCK_FILE, findEntry, type Lock, readLock } from './charts/lock';
import { chartFolderName, DEFAULT_CHARTS_DIR } from './charts/source';
import { HELM_VERSION, renderCacheKey, renderChart } from './charts/template';
import { type Component, type HelmSource, SCORE_IGNORE_ANNOTATION, SCORE_REASON_ANNOTATION, type ScoreException, type Stage } from './component';
import type { Environment } from './environment';
import { UserError } from './errors';
import { clusterScopedCustomKinds, withNamespace } from './kinds';
import { type ApiObject, fileNameFor, objectFile, type RenderedFile } from './output';
import { checkReferences, formatProblem, type LocatedObject, type ReferenceProblem, type RuntimeObject } from './references';

interface RenderedComponent {
  readonly env: string;
  readonly component: string;
  /** The component's own objects, then its chart's, each with its namespace. */
  readonly objects: readonly ApiObject[];
  /** What Argo CD needs beside the manifests (`component.json`). */
  readonly metadata: ComponentMetadata;
  /** Its place in the install order (argocd/order.ts). */
  readonly requires: readonly string[];
  readonly stage?: Stage;
  /** The chart it installs, pinned for the environment, with the values it was rendered with. */
  readonly helm?: HelmSource;
  /** What its chart or operator creates at run time that rendered objects may refer to. */
  readonly runtimeObjects: readonly RuntimeObject[];
}

/** Where charts come from at synth time. */
export interface ChartSource {
  /** Directory of `<chart>-<version>/` folders. @default `$ZT_CHARTS_DIR`, else `.charts/` (filled by `pnpm charts pull`) */
  readonly dir?: string;
  /** The lock every chart must match; `false` skips the check (tests of fixture charts). @default charts.lock.json */
  readonly lock?: Lock | false;
  /** The helm binary. @default `$HELM`, PATH, `$(go env GOPATH)/bin/helm` */
  readonly helm?: string;
  /** Render cache; `false` disables it. @default `$ZT_HELM_CACHE`, else node_modules/.cache/zt-eks-gitops/helm */
  readonly cacheDir?: string | false;
  /**
   * The previous output tree (the committed dist/). A chart whose folder is not in `dir` is taken
   * from there when it was rendered from exactly the same inputs (its `renderedFrom` in
   * component.json: the locked digest, values, Kubernetes and Helm versions, release, namespace),
   * so a checkout renders without Helm or the network until a chart input changes.
   */
  readonly previous?: string;
  /** Directory of upstream CRD bundles (`<bundle>/<file>`). @default `$ZT_CRDS_DIR`, else `.charts/crds/` (filled by `pnpm charts pull`) */
  readonly crdsDir?: string;
  /** The lock every delivered CRD file must match. @default crds.lock.json */
  readonly crdLock?: CrdLock;
}

export interface SynthOptions {
  /** Also render `argocd/` (AppProjects, ApplicationSets, root); only when `envs` is every environment. */
  readonly argocd?: ArgoConfig;
  /** The component catalogue. @default the registry (platform/registry.ts) */
  readonly catalogue?: readonly Component[];
  /** Which components an environment renders. @default the catalogue's enabled components and one per app */
  readonly componentsFor?: (env: Environment) => Component[];
  readonly charts?: ChartSource;
  /** Called as each environment is rendered, in order (the CLI's progress lines). */
  readonly onEnvironment?: (progress: { readonly env: string; readonly components: number; readonly objects: number; readonly ms: number }) => void;
}

interface SynthResult {
  readonly files: RenderedFile[];
  readonly components: RenderedComponent[];
  readonly objects: number;
}

/** The charts directory synth reads when none is given. */
export function defaultChartsDir(): string {
  return process.env.ZT_CHARTS_DIR ? resolve(process.env.ZT_CHARTS_DIR) : DEFAULT_CHARTS_DIR;
}

let defaultLock: Lock | undefined;
let defaultCrdLock: CrdLock | undefined;

/** A component's delivered CRDs: the objects, and what they were read from (component.json `crds`). */
interface DeliveredCrds {
  readonly objects: ApiObject[];
  readonly renderedFrom: string;
}

/**
 * The upstream CRDs a component delivers (`crds`), read from the CRDs directory and checked
 * against crds.lock.json, or reused from the previous output when the bundle's folder is absent
 * and the locked digests are those it was written from (component.json `crds.renderedFrom`).
 */
function deliverComponentCrds(env: Environment, component: Component, charts: ChartSource): DeliveredCrds {
  const bundle = component.crds!;
  if (!charts.crdLock && !defaultCrdLock) defaultCrdLock = readCrdLock(DEFAULT_CRD_LOCK_FILE);
  const lock = charts.crdLock ?? defaultCrdLock!;
  const dir = charts.crdsDir ?? defaultCrdsDir();
  const renderedFrom = crdsRenderedFrom(bundle, lock);
  try {
    if (renderedFrom && charts.previous && !existsSync(join(dir, bundle.name))) {
      const reused = previousCrds(join(charts.previous, env.name, component.name), renderedFrom);
      if (reused) return { objects: reused, renderedFrom };
    }
    const objects = readCrds(bundle, dir, lock) as unknown as ApiObject[];
    // readCrds fails on an unlocked file, so the key exists whenever it returns.
    return { objects, renderedFrom: renderedFrom! };
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`environment ${env.name}: component ${component.name}: ${e.message}`);
    throw e;
  }
}

/** The delivered CRDs of a component directory an earlier synth wrote, when written from `renderedFrom`. */
function previousCrds(dir: string, renderedFrom: string): ApiObject[] | undefined {
  let recorded: { renderedFrom?: string; names?: string[] } | undefined;
  try {
    recorded = (JSON.parse(readFileSync(join(dir, METADATA_FILE), 'utf8')) as { component?: { crds?: typeof recorded } }).component?.crds;
  } catch {
    return undefined;
  }
  if (recorded?.renderedFrom !== renderedFrom || !recorded.names?.length) return undefined;
  const files = recorded.names.map((name) =>
    join(dir, fileNameFor({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } })),
  );
  if (!files.every((f) => existsSync(f))) return undefined;
  return files.map((f) => parse(readFileSync(f, 'utf8')) as ApiObject);
}

/**
 * A component's chart rendered for the environment by the real `helm template`, or reused from
 * the previous output when its folder is absent and its inputs are unchanged (see
 * {@link ChartSource.previous}), with the key that identifies those inputs.
 */
function renderComponentChart(
  env: Environment,
  component: Component,
  helm: HelmSource,
  charts: ChartSource,
  own: readonly ApiObject[],
): { objects: ApiObject[]; renderedFrom?: string } {
  const namespace = component.namespace?.(env) ?? env.namespaces[0]!;
  if (charts.lock === undefined && !defaultLock) defaultLock = readLock(DEFAULT_LOCK_FILE);
  const lock = charts.lock === false ? undefined : (charts.lock ?? defaultLock);
  const chartsDir = charts.dir ?? defaultChartsDir();
  const ref = { chart: helm.chart, version: helm.version, repository: helm.repository };
  const entry = lock ? findEntry(lock, ref) : undefined;
  const renderedFrom = entry
    ? `sha256:${renderCacheKey({
        digest: entry.digest,
        values: helm.values,
        helmVersion: HELM_VERSION,
        kubeVersion: env.cluster.kubernetesVersion,
        releaseName: helm.releaseName,
        namespace,
      })}`
    : undefined;
  if (renderedFrom && charts.previous && !existsSync(join(chartsDir, chartFolderName(ref)))) {
    const reused = previousChartObjects(join(charts.previous, env.name, component.name), renderedFrom, own);
    if (reused) return { objects: reused, renderedFrom };
  }
  try {
    const objects = renderChart({
      chartsDir,
      ref,
      releaseName: helm.releaseName,
      namespace,
      kubeVersion: env.cluster.kubernetesVersion,
      values: helm.values,
      ...(lock ? { lock } : {}),
      ...(charts.helm ? { helm: charts.helm } : {}),
      ...(charts.cacheDir !== undefined ? { cacheDir: charts.cacheDir } : process.env.ZT_HELM_CACHE ? { cacheDir: resolve(process.env.ZT_HELM_CACHE) } : {}),
    }) as ApiObject[];
    return { objects, ...(renderedFrom ? { renderedFrom } : {}) };
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`environment ${env.name}: component ${component.name}: ${e.message}`);
    throw e;
  }
}

/**
 * The chart's objects of a component directory written by an earlier synth with `renderedFrom`:
 * every manifest there that the component's own objects do not account for. They come back as
 * synth wrote them (namespaced, patched, annotated); doing that again changes nothing.
 */
function previousChartObjects(dir: string, renderedFrom: string, own: readonly ApiObject[]): ApiObject[] | undefined {
  let recorded: string | undefined;
  try {
    recorded = (JSON.parse(readFileSync(join(dir, METADATA_FILE), 'utf8')) as { component?: { chart?: { renderedFrom?: string } } }).component?.chart
      ?.renderedFrom;
  } catch {
    return undefined;
  }
  if (recorded !== renderedFrom) return undefined;
  const skip = new Set([METADATA_FILE, VALUES_FILE, ...own.map(fileNameFor)]);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !skip.has(f))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as ApiObject);
}

/** Renders the components of one environment to API objects (plain data). */
export function renderEnvironment(env: Environment, options: Omit<SynthOptions, 'argocd'> = {}): RenderedComponent[] {
  const catalogue: readonly Component[] = options.catalogue ?? PLATFORM;
  const select = options.componentsFor ?? ((e: Environment) => componentsFor(e, catalogue));
  // The App is only a construct root: synth() is never called, so nothing touches its outdir.
  const app = new App({ outdir: '.', recordConstructMetadata: false });
  const operatorFields = catalogue.flatMap((c) => (c.operatorFields ?? []).filter((f) => !f.ownComponentOnly));
  const rendered = select(env).map((component) => {
    const chart = new Chart(app, `${env.name}-${component.name}`, { disableResourceNameHashes: true });
    component.render(chart, env);
    const errors = chart.node.validate();
    if (errors.length > 0) throw new Error(`${env.name}/${component.name}: ${errors.join('; ')}`);
    const helm = helmSource(env, component);
    const crds = component.crds ? deliverComponentCrds(env, component, options.charts ?? {}) : undefined;
    // Delivered CRDs sit beside the component's own objects: not chart output when the chart is reused.
    const own = [...(chart.toJson() as ApiObject[]), ...(crds?.objects ?? [])];
    const rendered = helm ? renderComponentChart(env, component, helm, options.charts ?? {}, own) : { objects: [] };
    const fromChart = helm && component.chartPatches ? component.chartPatches(rendered.objects, env) : rendered.objects;
    return { component, helm, own, fromChart, renderedFrom: rendered.renderedFrom, crds };
  });
  // Helm leaves namespaces out; cluster-scoped custom kinds are known from every CRD rendered.
  const customClusterKinds = clusterScopedCustomKinds(rendered.flatMap((r) => [...r.own, ...r.fromChart]));
  return rendered.map(({ component, helm, own, fromChart, renderedFrom, crds }) => {
    const namespace = component.namespace?.(env) ?? env.namespaces[0]!;
    const exceptions = typeof component.scoreExceptions === 'function' ? component.scoreExceptions(env) : (component.scoreExceptions ?? []);
    const objects = withScoreExceptions([...own, ...fromChart.map((o) => withNamespace(o, namespace, customClusterKinds))], exceptions);
    const metadata = componentMetadata(
      env,
      component,
      objects,
      [...operatorFields, ...(component.operatorFields ?? []).filter((f) => f.ownComponentOnly)],
      renderedFrom,
      crds && { names: crdNames(crds.objects), renderedFrom: crds.renderedFrom },
    );
    return {
      env: env.name,
      component: component.name,
      objects,
      metadata,
      requires: component.requires ?? [],
      ...(component.stage ? { stage: component.stage } : {}),
      ...(helm ? { helm } : {}),
      runtimeObjects: runtimeObjectsOf(env, component, metadata),
    };
  });
}

/** The metadata names of delivered CRDs, sorted. */
function crdNames(objects: readonly ApiObject[]): string[] {
  return objects.map((o) => o.metadata.name).sort();
}

/**
 * What a component's objects may refer to without rendering it: what it declares its chart or
 * operator creates, and the destination namespace its Application creates (`CreateNamespace=true`).
 */
function runtimeObjectsOf(env: Environment, component: Component, metadata: ComponentMetadata): RuntimeObject[] {
  return [
    ...(component.runtimeObjects?.(env) ?? []),
    ...(metadata.syncOptions.includes('CreateNamespace=true')
      ? [{ kind: 'Namespace', name: metadata.namespace, why: 'its Argo CD Application creates it (CreateNamespace=true)' }]
      : []),
  ];
}

/**
 * The objects with the component's kube-score exceptions written onto those they match: the
 * checks kube-score skips (`kube-score/ignore`) and, beside them, why (one `<check>: <reason>`
 * line each). Objects no exception matches are returned as they are.
 */
export function withScoreExceptions(objects: readonly ApiObject[], exceptions: readonly ScoreException[]): ApiObject[] {
  if (exceptions.length === 0) return [...objects];
  return objects.map((obj) => {
    const matching = exceptions.filter((x) => (!x.kinds || x.kinds.includes(obj.kind)) && (!x.names || x.names.includes(obj.metadata.name)));
    if (matching.length === 0) return obj;
    const reasons = new Map<string, string[]>();
    for (const x of matching) reasons.set(x.check, [...(reasons.get(x.check) ?? []), x.reason]);
    const checks = [...reasons.keys()].sort();
    const annotations = (obj.metadata.annotations ?? {}) as Record<string, string>;
    return {
      ...obj,
      metadata: {
        ...obj.metadata,
        annotations: {
          ...annotations,
          [SCORE_IGNORE_ANNOTATION]: checks.join(','),
          [SCORE_REASON_ANNOTATION]: checks.map((c) => `${c}: ${reasons.get(c)!.join('; ')}`).join('\n'),
        },
      },
    };
  });
}

/** A component's chart, pinned at the environment's version, with its values for the environment. */
export function helmSource(env: Environment, component: Component): HelmSource | undefined {
  const c = component.chart;
  if (!c) return undefined;
  return {
    repository: c.repository,
    chart: c.chart,
    version: env.charts[c.chart] ?? c.version,
    releaseName: c.releaseName,
    values: c.values(env) as Record<string, unknown>,
  };
}

/**
 * The references of the environment's objects, and of the Argo CD objects its cluster receives,
 * that resolve to nothing the platform delivers there or the cluster provides
 * (lib/references.ts), each with its file relative to the output. Argo CD objects directly in
 * `argocd/` are applied to every cluster; those in `argocd/<env>/` only to that environment's.
 */
export function environmentReferenceProblems(env: Environment, components: readonly RenderedComponent[], argo: readonly LocatedObject[]): ReferenceProblem[] {
  const mine = components.filter((c) => c.env === env.name);
  const located: LocatedObject[] = [
    ...mine.flatMap((c) => c.objects.map((object) => ({ file: `${c.env}/${c.component}/${fileNameFor(object)}`, object }))),
    ...argo.filter((a) => {
      const parts = a.file.split('/');
      return parts.length === 2 || parts[1] === env.name;
    }),
  ];
  return checkReferences(located, {
    kubernetesVersion: env.cluster.kubernetesVersion,
    runtimeObjects: mine.flatMap((c) => c.runtimeObjects),
    modelledPods: env.workloads.filter((w) => w.modelled),
  });
}

/** Throws the first unresolved reference as one line, with how many more there are. */
export function checkEnvironmentReferences(env: Environment, components: readonly RenderedComponent[], argo: readonly LocatedObject[]): void {
  const problems = environmentReferenceProblems(env, components, argo);
  if (problems.length === 0) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more unresolved reference${problems.length > 2 ? 's' : ''})` : '';
  throw new UserError(`${formatProblem(problems[0]!)}${more}`);
}

export function synthesize(envs: readonly Environment[], options: SynthOptions = {}): SynthResult {
  // Each environment's cluster runs its own Argo CD, which applies dist/argocd/: without it nothing there resolves.
  const withoutArgo = options.argocd && envs.find((e) => !e.components.includes(ARGO_CD_COMPONENT));
  if (withoutArgo) {
    throw new UserError(
      `environment ${withoutArgo.name}: components: "${ARGO_CD_COMPONENT}" must be enabled: Argo CD runs in the environment's cluster and applies dist/argocd/ (docs/argocd.md)`,
    );
  }
  const components = envs.flatMap((env) => {
    const started = performance.now();
    const rendered = renderEnvironment(env, options);
    const objects = rendered.reduce((n, c) => n + c.objects.length, 0);
    options.onEnvironment?.({ env: env.name, components: rendered.length, objects, ms: performance.now() - started });
    return rendered;
  });
  const files: RenderedFile[] = [];
  for (const c of components) {
    for (const obj of c.objects) files.push(objectFile(`${c.env}/${c.component}`, obj));
    files.push(...metadataFiles(`${c.env}/${c.component}`, c.metadata, c.helm));
  }
  let objects = components.reduce((n, c) => n + c.objects.length, 0);
  const argo: LocatedObject[] = [];
  if (options.argocd) {
    for (const { dir, object } of renderArgo(options.argocd, envs, components)) {
      const file = objectFile(dir, object);
      files.push(file);
      argo.push({ file: file.path, object });
    }
  }
  objects += argo.length;
  for (const env of envs) checkEnvironmentReferences(env, components, argo);
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
