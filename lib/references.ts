/**
 * References resolve: every name one rendered object gives for another (a CRD, a Namespace, an
 * issuer, a secret store, a Secret a pod mounts, a Role a binding grants, the pods a Service
 * selects, an Argo CD project, a webhook's Service) names something the platform delivers to
 * the same cluster or that the cluster itself provides. Pure: objects in, problems out; synth
 * throws the first one before anything is written (docs/references.md).
 *
 * Everything is indexed once (by kind, namespace and name), so the check is linear in the
 * number of objects and references, except Service selectors (each Service against the pod
 * templates of its own namespace).
 */
import { BUILT_IN_APIS, groupOf, isClusterScoped } from './kinds';
import type { ApiObject } from './output';

/** A rendered object and where it is written, relative to the output root (`dev/whoami/deployment.whoami.whoami.yaml`). */
export interface LocatedObject {
  readonly file: string;
  readonly object: ApiObject;
}

/**
 * An object a component's chart or operator creates at run time, so it is not in dist/, that
 * rendered objects refer to (e.g. the Secret a chart's hook Job writes). Declared on the
 * component with the reason; everything else must be rendered.
 */
export interface RuntimeObject {
  /** The kind a reference names: `Secret`, `ConfigMap`, `ServiceAccount`, `Service`, `AppProject`, ... */
  readonly kind: string;
  /** Its namespace; none for a cluster-scoped object (a `Namespace` Argo CD creates). */
  readonly namespace?: string;
  readonly name: string;
  /** Who creates it and when; one line. */
  readonly why: string;
}

/** Pods the platform does not render (an operator creates them), declared by labels (WorkloadRef.modelled). */
export interface ModelledPods {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ReferenceContext {
  /** The cluster's Kubernetes minor version, e.g. `1.31` (which built-in API versions it serves). */
  readonly kubernetesVersion: string;
  /** Objects created at run time by what the platform installs. @default [] */
  readonly runtimeObjects?: readonly RuntimeObject[];
  /** Pods created at run time, for Service selectors. @default [] */
  readonly modelledPods?: readonly ModelledPods[];
}

/** One unresolved reference. */
export interface ReferenceProblem {
  readonly file: string;
  /** Field path inside the object, e.g. `spec.issuerRef`. */
  readonly path: string;
  readonly message: string;
}

/** The one-line form: `<file>: <path>: <message>`. */
export const formatProblem = (p: ReferenceProblem): string => `${p.file}: ${p.path}: ${p.message}`;

/** Namespaces every EKS cluster has before anything is applied. */
export const BUILT_IN_NAMESPACES: readonly string[] = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** ClusterRoles the API server bootstraps (besides every `system:*` one). */
export const BUILT_IN_CLUSTER_ROLES: readonly string[] = ['admin', 'cluster-admin', 'edit', 'view'];

/** What Kubernetes creates in every namespace: its `default` ServiceAccount and the root CA ConfigMap. */
const PER_NAMESPACE = { serviceAccount: 'default', configMap: 'kube-root-ca.crt' } as const;

/** API groups Kubernetes itself owns: a kind in them is never provided by a CRD. */
const BUILT_IN_GROUPS = new Set(BUILT_IN_APIS.map((a) => groupOf(a.apiVersion)));

const minorOf = (version: string): number => Number(version.split('.')[1]);

/** `apiVersion/kind` of every built-in kind served by the given minor version. */
function builtInServed(minor: number): Set<string> {
  const served = new Set<string>();
  for (const api of BUILT_IN_APIS) {
    if ((api.since ?? 0) <= minor && minor < (api.until ?? Number.POSITIVE_INFINITY)) for (const k of api.kinds) served.add(`${api.apiVersion}/${k}`);
  }
  return served;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Where a kind keeps its pod template's spec, as a path from the object root. */
const POD_SPEC_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ['/Pod', ['spec']],
  ['/ReplicationController', ['spec', 'template', 'spec']],
  ['apps/Deployment', ['spec', 'template', 'spec']],
  ['apps/StatefulSet', ['spec', 'template', 'spec']],
  ['apps/DaemonSet', ['spec', 'template', 'spec']],
  ['apps/ReplicaSet', ['spec', 'template', 'spec']],
  ['batch/Job', ['spec', 'template', 'spec']],
  ['batch/CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
]);

interface Index {
  readonly kubernetesVersion: string;
  readonly served: Set<string>;
  /** `group/kind` -> its CRD. */
  readonly crds: Map<string, { readonly name: string; readonly served: readonly string[]; readonly clusterScoped: boolean }>;
  readonly customClusterKinds: Set<string>;
  readonly namespaces: Set<string>;
  /** `kind/namespace/name` (namespace empty when cluster-scoped) of every object the cluster will hold. */
  readonly objects: Set<string>;
  /** `namespace` -> the labels of every pod template rendered or modelled there. */
  readonly podLabels: Map<string, Readonly<Record<string, string>>[]>;
  readonly clusterSecretStores: Map<string, Obj>;
  /** Where cert-manager reads the Secrets of ClusterIssuers (its `--cluster-resource-namespace`). */
  readonly clusterResourceNamespace: string;
}

const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

function podSpecOf(o: ApiObject): { spec: Obj; path: string; labels: Record<string, string> } | undefined {
  const path = POD_SPEC_PATHS.get(`${groupOf(o.apiVersion)}/${o.kind}`);
  if (!path) return undefined;
  let node: unknown = o;
  let meta: unknown;
  for (const [i, p] of path.entries()) {
    if (i === path.length - 1) meta = asObj(node)?.metadata;
    node = asObj(node)?.[p];
  }
  const spec = asObj(node);
  if (!spec) return undefined;
  return { spec, path: path.join('.'), labels: (asObj(asObj(meta)?.labels) ?? {}) as Record<string, string> };
}

function buildIndex(objects: readonly LocatedObject[], context: ReferenceContext): Index {
  const crds: Index['crds'] = new Map();
  const customClusterKinds = new Set<string>();
  for (const { object: o } of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = asObj(o.spec);
    const group = str(spec?.group);
    const kind = str(asObj(spec?.names)?.kind);
    if (!group || !kind) continue;
    const served = asArr(spec?.versions)
      .map(asObj)
      .filter((v) => v?.served === true)
      .map((v) => str(v?.name))
      .filter((v): v is string => !!v);
    const clusterScoped = spec?.scope === 'Cluster';
    crds.set(`${group}/${kind}`, { name: o.metadata.name, served, clusterScoped });
    if (clusterScoped) customClusterKinds.add(`${group}/${kind}`);
  }
  const namespaces = new Set(BUILT_IN_NAMESPACES);
  for (const { object: o } of objects) if (o.kind === 'Namespace' && o.apiVersion === 'v1') namespaces.add(o.metadata.name);
  for (const r of context.runtimeObjects ?? []) if (r.kind === 'Namespace') namespaces.add(r.name);

  const objs = new Set<string>();
  const add = (kind: string, namespace: string | undefined, name: string | undefined) => {
    if (name) objs.add(key(kind, namespace, name));
  };
  for (const ns of namespaces) {
    add('ServiceAccount', ns, PER_NAMESPACE.serviceAccount);
    add('ConfigMap', ns, PER_NAMESPACE.configMap);
  }
  for (const r of context.runtimeObjects ?? []) add(r.kind, r.namespace, r.name);
  const podLabels: Index['podLabels'] = new Map();
  const addPods = (ns: string | undefined, labels: Readonly<Record<string, string>>) => {
    if (!ns) return;
    const list = podLabels.get(ns);
    if (list) list.push(labels);
    else podLabels.set(ns, [labels]);
  };
  for (const m of context.modelledPods ?? []) addPods(m.namespace, m.labels);
  const clusterSecretStores: Index['clusterSecretStores'] = new Map();
  let clusterResourceNamespace = DEFAULT_CLUSTER_RESOURCE_NAMESPACE;
  for (const { object: o } of objects) {
    const ns = o.metadata.namespace;
    add(o.kind, ns, o.metadata.name);
    const spec = asObj(o.spec);
    // What else the object brings into being once its controller runs.
    if (o.kind === 'ExternalSecret' && producesSecret(asObj(spec?.target))) add('Secret', ns, str(asObj(spec?.target)?.name) ?? o.metadata.name);
    if (o.kind === 'Certificate' && groupOf(o.apiVersion) === 'cert-manager.io') add('Secret', ns, str(spec?.secretName));
    if (o.kind === 'ClusterSecretStore') clusterSecretStores.set(o.metadata.name, spec ?? {});
    const pod = podSpecOf(o);
    if (pod) {
      addPods(ns, pod.labels);
      clusterResourceNamespace = clusterResourceNamespaceOf(pod.spec, ns) ?? clusterResourceNamespace;
    }
  }
  return {
    kubernetesVersion: context.kubernetesVersion,
    served: builtInServed(minorOf(context.kubernetesVersion)),
    crds,
    customClusterKinds,
    namespaces,
    objects: objs,
    podLabels,
    clusterSecretStores,
    clusterResourceNamespace,
  };
}

/** cert-manager's default `--cluster-resource-namespace` (its chart sets the flag to its own namespace). */
const DEFAULT_CLUSTER_RESOURCE_NAMESPACE = 'cert-manager';

/** The `--cluster-resource-namespace` a pod passes cert-manager, `$(POD_NAMESPACE)` being the pod's own. */
function clusterResourceNamespaceOf(spec: Obj, ns: string | undefined): string | undefined {
  for (const c of asArr(spec.containers)) {
    for (const arg of asArr(asObj(c)?.args)) {
      const m = typeof arg === 'string' ? /^--cluster-resource-namespace=(.+)$/.exec(arg) : null;
      if (m) return m[1]!.startsWith('$(') ? ns : m[1];
    }
  }
  return undefined;
}

/** Whether an ExternalSecret creates its target Secret: `Merge` and `None` only write into one that exists. */
function producesSecret(target: Obj | undefined): boolean {
  const policy = str(target?.creationPolicy) ?? 'Owner';
  return policy === 'Owner' || policy === 'Orphan';
}

const NOT_DELIVERED = 'is not delivered (no component renders it)';
const SECRET_NOT_DELIVERED = `${NOT_DELIVERED}, and no ExternalSecret or Certificate produces it`;

/** Every reference in the objects that does not resolve, in the objects' order. */
export function checkReferences(objects: readonly LocatedObject[], context: ReferenceContext): ReferenceProblem[] {
  const index = buildIndex(objects, context);
  const problems: ReferenceProblem[] = [];
  for (const located of objects) checkObject(located, index, (path, message) => problems.push({ file: located.file, path, message }));
  return problems;
}

type Report = (path: string, message: string) => void;

function checkObject({ object: o }: LocatedObject, index: Index, report: Report): void {
  const group = groupOf(o.apiVersion);
  const ns = o.metadata.namespace;
  const has = (kind: string, namespace: string | undefined, name: string) => index.objects.has(key(kind, namespace, name));
  const inNs = (namespace: string | undefined) => (namespace ? ` in namespace "${namespace}"` : '');

  // The kind is served: built in at this version, or by a delivered CRD.
  if (BUILT_IN_GROUPS.has(group)) {
    if (!index.served.has(`${o.apiVersion}/${o.kind}`))
      report('apiVersion', `${o.apiVersion} ${o.kind} is not served by Kubernetes ${index.kubernetesVersion}`);
  } else {
    const crd = index.crds.get(`${group}/${o.kind}`);
    if (!crd) report('apiVersion', `the CustomResourceDefinition of ${o.kind} (${group}) ${NOT_DELIVERED}`);
    else if (!crd.served.includes(o.apiVersion.slice(group.length + 1)))
      report('apiVersion', `CustomResourceDefinition "${crd.name}" does not serve ${o.apiVersion} (served: ${crd.served.join(', ') || 'none'})`);
  }

  if (ns && !isClusterScoped(o, index.customClusterKinds) && !index.namespaces.has(ns)) report('metadata.namespace', `Namespace "${ns}" ${NOT_DELIVERED}`);

  const spec = asObj(o.spec) ?? {};
  switch (`${group}/${o.kind}`) {
    case 'cert-manager.io/Certificate': {
      const ref = asObj(spec.issuerRef);
      const refGroup = str(ref?.group) ?? 'cert-manager.io';
      const kind = str(ref?.kind) ?? 'Issuer';
      const name = str(ref?.name);
      // External issuers (another group) are resolved by their own controllers: not checked here.
      if (refGroup === 'cert-manager.io' && name) {
        const namespace = kind === 'Issuer' ? ns : undefined;
        if (!has(kind, namespace, name)) report('spec.issuerRef', `${kind} "${name}"${inNs(namespace)} ${NOT_DELIVERED}`);
      }
      break;
    }
    case 'cert-manager.io/Issuer':
    case 'cert-manager.io/ClusterIssuer': {
      const secret = str(asObj(spec.ca)?.secretName);
      const namespace = o.kind === 'Issuer' ? ns : index.clusterResourceNamespace;
      const where = o.kind === 'Issuer' ? '' : " (cert-manager's cluster resource namespace)";
      if (secret && !has('Secret', namespace, secret))
        report('spec.ca.secretName', `Secret "${secret}" in namespace "${namespace}"${where} ${SECRET_NOT_DELIVERED}`);
      break;
    }
    case 'twingate.com/TwingateCertificateAuthority': {
      const ref = asObj(spec.secretRef);
      const name = str(ref?.name);
      const namespace = str(ref?.namespace) ?? ns;
      if (name && !has('Secret', namespace, name)) report('spec.secretRef', `Secret "${name}" in namespace "${namespace}" ${SECRET_NOT_DELIVERED}`);
      break;
    }
    case 'external-secrets.io/ExternalSecret': {
      const refs: [string, unknown][] = [['spec.secretStoreRef', spec.secretStoreRef]];
      for (const [field, list] of [
        ['data', spec.data],
        ['dataFrom', spec.dataFrom],
      ] as const)
        asArr(list).forEach((d, i) => {
          const storeRef = asObj(asObj(d)?.sourceRef)?.storeRef;
          if (storeRef) refs.push([`spec.${field}[${i}].sourceRef.storeRef`, storeRef]);
        });
      for (const [path, r] of refs) {
        const name = str(asObj(r)?.name);
        const kind = str(asObj(r)?.kind) ?? 'SecretStore';
        if (!name) continue;
        const namespace = kind === 'SecretStore' ? ns : undefined;
        if (!has(kind, namespace, name)) report(path, `${kind} "${name}"${inNs(namespace)} ${NOT_DELIVERED}`);
        else if (kind === 'ClusterSecretStore' && ns && !admits(index.clusterSecretStores.get(name), ns))
          report(path, `ClusterSecretStore "${name}" does not admit namespace "${ns}" (its spec.conditions)`);
      }
      break;
    }
    case 'external-secrets.io/ClusterSecretStore':
      for (const [i, c] of asArr(spec.conditions).entries()) {
        for (const [j, n] of asArr(asObj(c)?.namespaces).entries()) {
          if (typeof n === 'string' && !index.namespaces.has(n)) report(`spec.conditions[${i}].namespaces[${j}]`, `Namespace "${n}" ${NOT_DELIVERED}`);
        }
      }
      break;
    case 'rbac.authorization.k8s.io/RoleBinding':
    case 'rbac.authorization.k8s.io/ClusterRoleBinding': {
      const ref = asObj(o.roleRef);
      const kind = str(ref?.kind);
      const name = str(ref?.name);
      if (kind === 'ClusterRole' && name && !has('ClusterRole', undefined, name) && !isBuiltInClusterRole(name))
        report('roleRef', `ClusterRole "${name}" ${NOT_DELIVERED}, nor built in`);
      if (kind === 'Role' && name && !has('Role', ns, name)) report('roleRef', `Role "${name}"${inNs(ns)} ${NOT_DELIVERED}`);
      asArr(o.subjects).forEach((s, i) => {
        const subject = asObj(s);
        if (subject?.kind !== 'ServiceAccount') return;
        const namespace = str(subject.namespace) ?? (o.kind === 'RoleBinding' ? ns : undefined);
        if (!namespace) report(`subjects[${i}].namespace`, `ServiceAccount subject "${str(subject.name) ?? ''}" names no namespace`);
        else if (!index.namespaces.has(namespace)) report(`subjects[${i}].namespace`, `Namespace "${namespace}" ${NOT_DELIVERED}`);
      });
      break;
    }
    case '/Service': {
      const selector = asObj(spec.selector);
      if (!selector || Object.keys(selector).length === 0 || spec.type === 'ExternalName') break;
      const pods = index.podLabels.get(ns ?? '') ?? [];
      if (!pods.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v)))
        report(
          'spec.selector',
          `selects no pod in namespace "${ns}" (${Object.entries(selector)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(',')}): no rendered pod template nor modelled workload carries these labels`,
        );
      break;
    }
    case 'argoproj.io/Application':
    case 'argoproj.io/ApplicationSet': {
      const path = o.kind === 'Application' ? 'spec.project' : 'spec.template.spec.project';
      const project = str(o.kind === 'Application' ? spec.project : asObj(asObj(spec.template)?.spec)?.project);
      // A templated project ({{ ... }}) is only known per generated Application.
      if (project && !project.includes('{{') && !has('AppProject', ns, project)) report(path, `AppProject "${project}"${inNs(ns)} ${NOT_DELIVERED}`);
      break;
    }
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration':
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration':
      for (const [i, w] of asArr(o.webhooks).entries())
        serviceRef(asObj(asObj(asObj(w)?.clientConfig)?.service), `webhooks[${i}].clientConfig.service`, has, report);
      break;
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      serviceRef(asObj(asObj(asObj(asObj(spec.conversion)?.webhook)?.clientConfig)?.service), 'spec.conversion.webhook.clientConfig.service', has, report);
      break;
    case 'apiregistration.k8s.io/APIService':
      serviceRef(asObj(spec.service), 'spec.service', has, report);
      break;
    case 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': {
      const policy = str(spec.policyName);
      if (policy && !has('ValidatingAdmissionPolicy', undefined, policy)) report('spec.policyName', `ValidatingAdmissionPolicy "${policy}" ${NOT_DELIVERED}`);
      break;
    }
  }

  const pod = podSpecOf(o);
  if (pod) checkPod(pod.spec, pod.path, ns, has, report);
}

function isBuiltInClusterRole(name: string): boolean {
  return BUILT_IN_CLUSTER_ROLES.includes(name) || name.startsWith('system:');
}

/** Whether a ClusterSecretStore serves ExternalSecrets of the namespace (no conditions: every namespace). */
function admits(store: Obj | undefined, namespace: string): boolean {
  const conditions = asArr(store?.conditions).map(asObj);
  if (conditions.length === 0) return true;
  return conditions.some((c) => {
    // Selectors and regexes match at run time; only plain namespace lists are checked.
    if (c?.namespaceSelector || c?.namespaceRegexes) return true;
    return asArr(c?.namespaces).includes(namespace);
  });
}

function serviceRef(service: Obj | undefined, path: string, has: (kind: string, namespace: string | undefined, name: string) => boolean, report: Report): void {
  const name = str(service?.name);
  const namespace = str(service?.namespace);
  if (name && namespace && !has('Service', namespace, name)) report(path, `Service "${name}" in namespace "${namespace}" ${NOT_DELIVERED}`);
}

/** The Secrets, ConfigMaps and ServiceAccount a pod template reads. */
function checkPod(
  spec: Obj,
  at: string,
  ns: string | undefined,
  has: (kind: string, namespace: string | undefined, name: string) => boolean,
  report: Report,
): void {
  const need = (kind: 'Secret' | 'ConfigMap', name: unknown, optional: unknown, path: string) => {
    const n = str(name);
    if (n && optional !== true && !has(kind, ns, n))
      report(`${at}.${path}`, `${kind} "${n}" in namespace "${ns}" ${kind === 'Secret' ? SECRET_NOT_DELIVERED : NOT_DELIVERED}`);
  };
  asArr(spec.volumes).forEach((v, i) => {
    const vol = asObj(v) ?? {};
    const secret = asObj(vol.secret);
    if (secret) need('Secret', secret.secretName, secret.optional, `volumes[${i}].secret.secretName`);
    const cm = asObj(vol.configMap);
    if (cm) need('ConfigMap', cm.name, cm.optional, `volumes[${i}].configMap.name`);
    asArr(asObj(vol.projected)?.sources).forEach((s, j) => {
      const src = asObj(s) ?? {};
      const ps = asObj(src.secret);
      if (ps) need('Secret', ps.name, ps.optional, `volumes[${i}].projected.sources[${j}].secret.name`);
      const pc = asObj(src.configMap);
      if (pc) need('ConfigMap', pc.name, pc.optional, `volumes[${i}].projected.sources[${j}].configMap.name`);
    });
  });
  for (const field of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    asArr(spec[field]).forEach((c, i) => {
      const container = asObj(c) ?? {};
      asArr(container.env).forEach((e, j) => {
        const from = asObj(asObj(e)?.valueFrom) ?? {};
        const sk = asObj(from.secretKeyRef);
        if (sk) need('Secret', sk.name, sk.optional, `${field}[${i}].env[${j}].valueFrom.secretKeyRef.name`);
        const ck = asObj(from.configMapKeyRef);
        if (ck) need('ConfigMap', ck.name, ck.optional, `${field}[${i}].env[${j}].valueFrom.configMapKeyRef.name`);
      });
      asArr(container.envFrom).forEach((e, j) => {
        const sr = asObj(asObj(e)?.secretRef);
        if (sr) need('Secret', sr.name, sr.optional, `${field}[${i}].envFrom[${j}].secretRef.name`);
        const cr = asObj(asObj(e)?.configMapRef);
        if (cr) need('ConfigMap', cr.name, cr.optional, `${field}[${i}].envFrom[${j}].configMapRef.name`);
      });
    });
  }
  for (const [i, s] of asArr(spec.imagePullSecrets).entries()) need('Secret', asObj(s)?.name, false, `imagePullSecrets[${i}].name`);
  const sa = str(spec.serviceAccountName) ?? str(spec.serviceAccount);
  if (sa && !has('ServiceAccount', ns, sa))
    report(`${at}.${spec.serviceAccountName ? 'serviceAccountName' : 'serviceAccount'}`, `ServiceAccount "${sa}" in namespace "${ns}" ${NOT_DELIVERED}`);
}
