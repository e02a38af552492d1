/**
 * The component contract. A component is one folder under `platform/` (or the app factory in
 * `apps/`), one directory of `dist/<env>/` and one Argo CD Application, and it declares
 * everything about itself here: its namespace, the upstream chart it installs, the pods it runs
 * (for the network model), the flows those pods need, the CRDs it provides, what it requires,
 * the fields an operator writes back, and its own block of environment settings. Every list
 * the rest of the platform needs (valid names, chart pins, Argo CD kinds, workloads,
 * dependency checks) is derived from the registry of components, never typed twice.
 *
 * This file is core: it imports no component.
 */
import type { Chart } from 'cdk8s';
import type { z } from 'zod';
import type { Environment, FlowInput, Problem, Protocol } from './environment';
import type { ApiObject } from './output';
import type { RuntimeObject } from './references';

/** Labels stamped on every object the platform renders. */
export const COMMON_LABELS = { 'app.kubernetes.io/managed-by': 'zt-eks-gitops' } as const;

/** An API group and kind; the group is `""` for the core group. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** Stages of an environment's install order, first to last; `apps` is the stage of the environment's apps (no component declares it). */
export const STAGES = ['foundation', 'platform', 'apps', 'verification'] as const;
export type Stage = Exclude<(typeof STAGES)[number], 'apps'>;

/** A workload flows can name: apps, plus the pods of enabled platform components. */
export interface WorkloadRef {
  readonly namespace: string;
  readonly name: string;
  /** Labels that select the workload's pods (within its namespace). */
  readonly labels: Readonly<Record<string, string>>;
  /** Named ports the workload listens on. */
  readonly ports: Readonly<Record<string, { readonly containerPort: number; readonly protocol: Protocol }>>;
  /**
   * Why the pods are not in dist/ (e.g. an operator creates them at run time), so the intent
   * proof models them from this declaration. Without it, the proof requires a rendered pod
   * template carrying `labels` in `namespace`, and fails synth when a chart stops matching.
   */
  readonly modelled?: string;
}

/**
 * A field an operator writes into the `spec` of objects this project renders. Argo CD must not
 * treat it as drift (selfHeal would fight the operator) nor overwrite it on sync, so it becomes
 * an `ignoreDifferences` entry with `RespectIgnoreDifferences=true`.
 */
export interface OperatorField extends GroupKind {
  /** jq paths into the object, as Argo CD's `jqPathExpressions` take them. */
  readonly jqPathExpressions: readonly string[];
  /** Why the field changes outside git. */
  readonly why: string;
  /**
   * Only for the declaring component's own Application: for a core kind other components render
   * too (e.g. `spec.externalName` of the Tailscale egress Services, not of every Service). @default false
   */
  readonly ownComponentOnly?: boolean;
}

/**
 * An upstream Helm chart a component installs. Synth renders it with the real `helm template`
 * (offline, from the charts directory, pinned by charts.lock.json) into the component's
 * directory of dist/, beside the objects `render` adds: Argo CD applies plain YAML.
 */
export interface ChartSpec<V extends object = object> {
  /** Where the publisher releases it: `oci://<registry>/<path>` (the chart is `<repository>/<chart>`) or an `https://` Helm repository. */
  readonly repository: string;
  /** Chart name; also the key of the environment's `charts` overrides. */
  readonly chart: string;
  /** The pinned version used unless the environment's `charts` overrides it. */
  readonly version: string;
  readonly releaseName: string;
  /** Typed values; never a secret value (reference existing Secrets instead). */
  values(env: Environment): V;
}

/**
 * Upstream CRD files a component delivers because its chart does not ship them (some publishers
 * add CRDs to the chart only when packaging it: External Secrets, Tailscale). Each file is
 * pinned by URL and by its sha256 in crds.lock.json; `pnpm charts pull` fetches them, synth reads
 * them offline from the CRDs directory (`$ZT_CRDS_DIR`, else `.charts/crds/`) and writes them
 * into the component's directory of dist/ (docs/charts.md, "Upstream CRDs").
 */
export interface UpstreamCrds {
  /** The bundle's folder in a CRDs directory (`<dir>/<name>/<file>`); a DNS label. */
  readonly name: string;
  /** Where the files are published, at an immutable ref (a commit), without a trailing `/`. */
  readonly baseUrl: string;
  /** File names under `baseUrl`, also their names in the folder. */
  readonly files: readonly string[];
}

/** An upstream chart resolved for one environment (the version pinned there, the values for it). */
export interface HelmSource {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  readonly releaseName: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * A block of environment settings a component owns, under `key` at the top level of an
 * environment file. `resolve` turns the parsed block into the view renderers read (defaults
 * that depend on the rest of the environment filled in), once, at validation; `check` yields
 * cross-checks with field paths. Several components may share one block (the three Twingate
 * components share `twingate`): the block is an object, and the registry deduplicates it.
 */
export interface SettingsBlock<S extends z.ZodType = z.ZodType, R = z.output<S>, K extends string = string> {
  /** Top-level field of environment files; a literal type, so the registry can type environment files. */
  readonly key: K;
  readonly schema: S;
  resolve(parsed: z.output<S>, env: Environment): R;
  check?(env: Environment): Iterable<Problem>;
}

/**
 * A kube-score check the component's rendered objects (its chart's output included) are
 * exempt from, with the reason. Synth writes it onto each matching object as the annotation
 * kube-score honours (`kube-score/ignore: <check>[,<check>]`) plus one reviewers read
 * (`zt-eks-gitops/kube-score-reason`, `<check>: <why>` per line), so every exclusion sits next to
 * the object it excuses. Prefer fixing the finding at the source; declare an exception only
 * where the check does not fit (an upstream chart's choice, a pinned image, a single replica by design).
 */
export interface ScoreException {
  /** A kube-score check id (`kube-score list`), e.g. `container-image-pull-policy`. */
  readonly check: string;
  /** Why the check does not apply; one line, shown in dist/ next to the object. */
  readonly reason: string;
  /** Only objects of these kinds. @default every kind */
  readonly kinds?: readonly string[];
  /** Only objects with these metadata names. @default every name */
  readonly names?: readonly string[];
}

/**
 * The exception every component with pods declares: kube-score wants `imagePullPolicy: Always`
 * so a moved tag is noticed, but every image here is pinned (environments reject floating
 * tags, charts are locked), so `IfNotPresent` never runs stale content and keeps pods starting
 * while the registry is unreachable.
 */
export const PINNED_IMAGE_PULL_POLICY: ScoreException = {
  check: 'container-image-pull-policy',
  reason: 'images are pinned (no floating tags), so IfNotPresent never runs stale content and pods start while the registry is unreachable',
  kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'],
};

/** Ephemeral storage every container the platform renders requests and is limited to (logs, tmp). */
/**
 * The container security context of every pod the platform writes itself: Pod Security
 * "restricted" plus a read-only root filesystem.
 */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
} as const;

export const EPHEMERAL_STORAGE = { request: '64Mi', limit: '256Mi' } as const;

/** kube-score's own annotation: the checks it skips for the object. */
export const SCORE_IGNORE_ANNOTATION = 'kube-score/ignore';
/** The companion annotation: `<check>: <reason>`, one line per ignored check. */
export const SCORE_REASON_ANNOTATION = 'zt-eks-gitops/kube-score-reason';

/**
 * A component is a function from the environment to API objects in a chart, plus what it
 * declares about itself. Components read the environment; they never validate it (that
 * happened when it was loaded).
 */
export interface Component {
  /** Directory name under `dist/<env>/`; a DNS label. */
  readonly name: string;
  /** Adds this component's objects for `env` to `chart`. */
  render(chart: Chart, env: Environment): void;
  /** The namespace the component installs into (its Argo CD Application's destination namespace). */
  namespace?(env: Environment): string;
  /** The upstream chart this component installs. */
  readonly chart?: ChartSpec;
  /** Upstream CRDs its chart lacks, delivered in its directory of dist/ ({@link UpstreamCrds}). */
  readonly crds?: UpstreamCrds;
  /**
   * Edits the objects its chart rendered, for what the chart's values cannot set (e.g. the
   * rules of a ClusterRole the chart always renders). Returns the objects to write; throws
   * when an object it must patch is missing, so a chart upgrade cannot drop the patch silently.
   */
  chartPatches?(objects: readonly ApiObject[], env: Environment): ApiObject[];
  /**
   * Where the component sits in the order Argo CD installs an environment; its sync wave is
   * derived from this and `requires` (docs/argocd.md, "Ordering"): every component of a stage
   * implicitly requires every enabled component of the stages before it, in the order
   * `foundation` (namespaces, default deny), `platform`, the environment's apps, `verification`
   * (checks that need everything else running). @default "platform"
   */
  readonly stage?: Stage;
  /**
   * When the component is rendered without being listed in the environment's `components`:
   * `always` (e.g. namespaces), or a predicate over the environment (a fact stated elsewhere in
   * it, e.g. chart-mode connectors). Listing such a component is an error. @default never
   */
  readonly enabled?: 'always' | ((env: Environment) => boolean);
  /** The settings block it reads; an environment that enables the component must have it. */
  readonly settings?: SettingsBlock<z.ZodType, unknown>;
  /** Components that must be enabled with this one (CRDs, secret stores it uses). @default [] */
  readonly requires?: readonly string[];
  /** Components that cannot be enabled with this one. @default [] */
  readonly conflicts?: readonly string[];
  /** Pods it runs that flows may name (`<namespace>/<name>`), as selected by their labels. */
  workloads?(env: Environment): readonly WorkloadRef[];
  /**
   * Flows its pods need (API server, internet, DNS beyond kube-dns, ...). They join the
   * environment's declared flows: rendered as NetworkPolicies, proven, listed in ACCESS.md.
   */
  flows?(env: Environment): readonly FlowInput[];
  /** Fields an operator writes into objects of this component (ignoreDifferences). @default [] */
  readonly operatorFields?: readonly OperatorField[];
  /**
   * kube-score checks this component's objects are exempt from, each with its reason (a list,
   * or a function of the environment when the objects it names depend on it). Synth annotates
   * the matching objects; `pnpm guard` fails on any finding left. @default []
   */
  readonly scoreExceptions?: readonly ScoreException[] | ((env: Environment) => readonly ScoreException[]);
  /**
   * Objects its chart or operator creates at run time, so they are not in dist/, that rendered
   * objects refer to (e.g. a Secret a chart's hook Job writes), each with why. The reference
   * check (lib/references.ts, docs/references.md) counts them as delivered; nothing else is
   * assumed. @default []
   */
  runtimeObjects?(env: Environment): readonly RuntimeObject[];
}

/** The resolved settings block of a component's environment; a missing block is a programming error. */
export function settingsOf<R>(env: Environment, block: SettingsBlock<z.ZodType, R>): R {
  const value = env.settings[block.key];
  if (value === undefined) throw new Error(`internal: environment ${env.name} has no ${block.key} block`);
  return value as R;
}

/** The resolved settings block, or undefined when the environment has none. */
export function maybeSettingsOf<R>(env: Environment, block: SettingsBlock<z.ZodType, R>): R | undefined {
  return env.settings[block.key] as R | undefined;
}
