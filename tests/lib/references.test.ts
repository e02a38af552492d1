/**
 * References resolve (lib/references.ts): each kind of reference against fixture object sets,
 * one resolving and one broken case with its exact line; the hook in synth; and every real
 * environment (the last suite fails until cert-manager, External Secrets and Argo CD are
 * delivered as components: issue 11).
 */
import { resolve } from 'node:path';
import { k8s } from 'cdk8s-plus-28';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderArgo } from '../../argocd/render';
import { DEFAULT_ARGO_CONFIG, loadArgoConfig } from '../../argocd/settings';
import type { Component } from '../../lib/component';
import type { Environment } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';
import { type ApiObject, fileNameFor } from '../../lib/output';
import { checkReferences, formatProblem, type LocatedObject, type ReferenceContext } from '../../lib/references';
import { checkEnvironmentReferences, environmentReferenceProblems, renderEnvironment, synthesize } from '../../lib/synth';
import { REPO } from '../support';

// ---- fixture objects ----------------------------------------------------------------------

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, rest: Record<string, unknown> = {}): ApiObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...rest,
});

const ns = (name: string) => obj('v1', 'Namespace', name);

const crd = (
  group: string,
  kind: string,
  plural: string,
  versions: Record<string, boolean>,
  scope: 'Namespaced' | 'Cluster' = 'Namespaced',
  spec: Record<string, unknown> = {},
) =>
  obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', `${plural}.${group}`, undefined, {
    spec: {
      group,
      scope,
      names: { kind, plural },
      versions: Object.entries(versions).map(([name, served]) => ({ name, served, storage: served })),
      ...spec,
    },
  });

const CERT_MANAGER_CRDS = [
  crd('cert-manager.io', 'Certificate', 'certificates', { v1: true }),
  crd('cert-manager.io', 'Issuer', 'issuers', { v1: true }),
  crd('cert-manager.io', 'ClusterIssuer', 'clusterissuers', { v1: true }, 'Cluster'),
];
const ESO_CRDS = [
  crd('external-secrets.io', 'ExternalSecret', 'externalsecrets', { v1: true }),
  crd('external-secrets.io', 'SecretStore', 'secretstores', { v1: true }),
  crd('external-secrets.io', 'ClusterSecretStore', 'clustersecretstores', { v1: true }, 'Cluster'),
];
const ARGO_CRDS = [crd('argoproj.io', 'Application', 'applications', { v1alpha1: true }), crd('argoproj.io', 'AppProject', 'appprojects', { v1alpha1: true })];

const deployment = (name: string, namespace: string, podSpec: Record<string, unknown>, labels: Record<string, string> = { app: name }) =>
  obj('apps/v1', 'Deployment', name, namespace, {
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'x:1' }], ...podSpec } } },
  });

/** Every object as if rendered by one component `c` of environment `dev`. */
const located = (objects: readonly ApiObject[]): LocatedObject[] => objects.map((object) => ({ file: `dev/c/${fileNameFor(object)}`, object }));

const CONTEXT: ReferenceContext = { kubernetesVersion: '1.31' };

/** The problems of the objects, as the lines synth would print. */
const lines = (objects: readonly ApiObject[], context: Partial<ReferenceContext> = {}) =>
  checkReferences(located(objects), { ...CONTEXT, ...context }).map(formatProblem);

// ---- each reference kind ------------------------------------------------------------------

describe('custom resources: a delivered CRD serves their apiVersion', () => {
  const cert = obj('cert-manager.io/v1', 'Certificate', 'tls', 'app', { spec: { secretName: 'tls', issuerRef: { kind: 'Issuer', name: 'ca' } } });
  const issuer = obj('cert-manager.io/v1', 'Issuer', 'ca', 'app', { spec: { selfSigned: {} } });

  it('resolves when the CRD is in the output and serves the version', () => {
    expect(lines([ns('app'), ...CERT_MANAGER_CRDS, cert, issuer])).toEqual([]);
  });

  it('no CRD: names the kind and its group', () => {
    expect(lines([ns('app'), ...CERT_MANAGER_CRDS.slice(1), cert, issuer])).toEqual([
      'dev/c/certificate.app.tls.yaml: apiVersion: the CustomResourceDefinition of Certificate (cert-manager.io) is not delivered (no component renders it)',
    ]);
  });

  it('a version the CRD does not serve (served: false): names the CRD and what it serves', () => {
    const old = crd('cert-manager.io', 'Certificate', 'certificates', { v1alpha2: true, v1: false });
    expect(lines([ns('app'), old, ...CERT_MANAGER_CRDS.slice(1), cert, issuer])).toEqual([
      'dev/c/certificate.app.tls.yaml: apiVersion: CustomResourceDefinition "certificates.cert-manager.io" does not serve cert-manager.io/v1 (served: v1alpha2)',
    ]);
  });
});

describe('built-in kinds: served by the cluster version', () => {
  const pdb = (apiVersion: string) => obj(apiVersion, 'PodDisruptionBudget', 'p', 'default', { spec: { maxUnavailable: 1 } });

  it('policy/v1 PodDisruptionBudget is served by 1.31', () => {
    expect(lines([pdb('policy/v1')])).toEqual([]);
  });

  it('policy/v1beta1 is not (removed in 1.25)', () => {
    expect(lines([pdb('policy/v1beta1')])).toEqual([
      'dev/c/poddisruptionbudget.default.p.yaml: apiVersion: policy/v1beta1 PodDisruptionBudget is not served by Kubernetes 1.31',
    ]);
  });

  it('ValidatingAdmissionPolicy v1 needs 1.30', () => {
    const vap = obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'p', undefined, { spec: {} });
    expect(lines([vap], { kubernetesVersion: '1.30' })).toEqual([]);
    expect(lines([vap], { kubernetesVersion: '1.29' })).toEqual([
      'dev/c/validatingadmissionpolicy.p.yaml: apiVersion: admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is not served by Kubernetes 1.29',
    ]);
  });
});

describe('namespaces', () => {
  const cm = (namespace: string) => obj('v1', 'ConfigMap', 'c', namespace, { data: {} });

  it('a rendered Namespace or a built-in one (default, kube-system, kube-public, kube-node-lease)', () => {
    expect(lines([ns('app'), cm('app'), cm('default'), cm('kube-system'), cm('kube-public'), cm('kube-node-lease')])).toEqual([]);
  });

  it('a namespace nothing renders', () => {
    expect(lines([cm('app')])).toEqual(['dev/c/configmap.app.c.yaml: metadata.namespace: Namespace "app" is not delivered (no component renders it)']);
  });

  it('cluster-scoped custom kinds are not namespaced (scope from their CRD)', () => {
    const issuer = obj('cert-manager.io/v1', 'ClusterIssuer', 'ca', 'ghost', { spec: { selfSigned: {} } });
    expect(lines([...CERT_MANAGER_CRDS, issuer])).toEqual([]);
  });
});

describe('Certificate issuerRef', () => {
  const cert = (issuerRef: Record<string, string>) => obj('cert-manager.io/v1', 'Certificate', 'tls', 'app', { spec: { secretName: 'tls', issuerRef } });
  const base = [ns('app'), ns('other'), ...CERT_MANAGER_CRDS];

  it('a ClusterIssuer, or an Issuer of the same namespace (the default kind)', () => {
    const ci = obj('cert-manager.io/v1', 'ClusterIssuer', 'ca', undefined, { spec: { selfSigned: {} } });
    const is = obj('cert-manager.io/v1', 'Issuer', 'local', 'app', { spec: { selfSigned: {} } });
    expect(
      lines([
        ...base,
        ci,
        is,
        cert({ kind: 'ClusterIssuer', name: 'ca', group: 'cert-manager.io' }),
        { ...cert({ name: 'local' }), metadata: { name: 'b', namespace: 'app' } },
      ]),
    ).toEqual([]);
  });

  it('a missing ClusterIssuer', () => {
    expect(lines([...base, cert({ kind: 'ClusterIssuer', name: 'twingate-gateway-ca', group: 'cert-manager.io' })])).toEqual([
      'dev/c/certificate.app.tls.yaml: spec.issuerRef: ClusterIssuer "twingate-gateway-ca" is not delivered (no component renders it)',
    ]);
  });

  it('an Issuer of another namespace does not count', () => {
    const is = obj('cert-manager.io/v1', 'Issuer', 'local', 'other', { spec: { selfSigned: {} } });
    expect(lines([...base, is, cert({ name: 'local' })])).toEqual([
      'dev/c/certificate.app.tls.yaml: spec.issuerRef: Issuer "local" in namespace "app" is not delivered (no component renders it)',
    ]);
  });
});

describe('CA Secrets of issuers and of the TwingateCertificateAuthority', () => {
  const base = [
    ns('app'),
    ns('cert-manager'),
    ns('certs'),
    ...CERT_MANAGER_CRDS,
    crd('twingate.com', 'TwingateCertificateAuthority', 'twingatecertificateauthorities', { v1beta: true }),
  ];
  const ci = obj('cert-manager.io/v1', 'ClusterIssuer', 'ca', undefined, { spec: { ca: { secretName: 'root' } } });
  const rootCert = (namespace: string) =>
    obj('cert-manager.io/v1', 'Certificate', 'root', namespace, {
      spec: { isCA: true, secretName: 'root', issuerRef: { kind: 'ClusterIssuer', name: 'self' } },
    });
  const self = obj('cert-manager.io/v1', 'ClusterIssuer', 'self', undefined, { spec: { selfSigned: {} } });
  /** cert-manager's controller, as its chart renders it: the cluster resource namespace is its own. */
  const controller = (namespace: string) =>
    obj('apps/v1', 'Deployment', 'cert-manager', namespace, {
      spec: {
        template: {
          metadata: { labels: { app: 'cert-manager' } },
          spec: { containers: [{ name: 'c', image: 'x:1', args: ['--v=2', '--cluster-resource-namespace=$(POD_NAMESPACE)'] }] },
        },
      },
    });

  it("a ClusterIssuer's CA Secret in cert-manager's cluster resource namespace (the controller's own)", () => {
    expect(lines([...base, self, ci, rootCert('cert-manager')])).toEqual([]);
    expect(lines([...base, self, ci, rootCert('certs'), controller('certs')])).toEqual([]);
  });

  it('the CA Secret in another namespace does not count', () => {
    expect(lines([...base, self, ci, rootCert('app'), controller('certs')])).toEqual([
      'dev/c/clusterissuer.ca.yaml: spec.ca.secretName: Secret "root" in namespace "certs" (cert-manager\'s cluster resource namespace) is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
    ]);
  });

  it("an Issuer's CA Secret in its own namespace", () => {
    const issuer = obj('cert-manager.io/v1', 'Issuer', 'ca', 'app', { spec: { ca: { secretName: 'root' } } });
    expect(lines([...base, self, issuer, rootCert('app')])).toEqual([]);
    expect(lines([...base, self, issuer, rootCert('certs')])).toEqual([
      'dev/c/issuer.app.ca.yaml: spec.ca.secretName: Secret "root" in namespace "app" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
    ]);
  });

  it("a TwingateCertificateAuthority's secretRef (its namespace, else the object's)", () => {
    const tca = (secretRef: Record<string, string>) =>
      obj('twingate.com/v1beta', 'TwingateCertificateAuthority', 'gw-ca', 'app', { spec: { name: 'gw-ca', type: 'X509', secretRef } });
    const tls = obj('cert-manager.io/v1', 'Certificate', 'tls', 'app', { spec: { secretName: 'gw-tls', issuerRef: { kind: 'ClusterIssuer', name: 'self' } } });
    expect(
      lines([...base, self, tls, tca({ name: 'gw-tls', namespace: 'app' }), { ...tca({ name: 'gw-tls' }), metadata: { name: 'b', namespace: 'app' } }]),
    ).toEqual([]);
    expect(lines([...base, self, tls, tca({ name: 'gw-tls', namespace: 'certs' })])).toEqual([
      'dev/c/twingatecertificateauthority.app.gw-ca.yaml: spec.secretRef: Secret "gw-tls" in namespace "certs" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
    ]);
  });
});

describe('ExternalSecret stores and ClusterSecretStore conditions', () => {
  const es = (storeRef: Record<string, string>, namespace = 'app') =>
    obj('external-secrets.io/v1', 'ExternalSecret', 'creds', namespace, { spec: { secretStoreRef: storeRef, target: { name: 'creds' } } });
  const css = (namespaces: string[]) =>
    obj('external-secrets.io/v1', 'ClusterSecretStore', 'aws', undefined, {
      spec: { conditions: [{ namespaces }], provider: { aws: { service: 'SecretsManager' } } },
    });
  const base = [ns('app'), ns('other'), ...ESO_CRDS];

  it('a ClusterSecretStore admitting the namespace, or a SecretStore of the namespace (the default kind)', () => {
    const ss = obj('external-secrets.io/v1', 'SecretStore', 'local', 'app', { spec: {} });
    expect(
      lines([
        ...base,
        css(['app']),
        ss,
        es({ kind: 'ClusterSecretStore', name: 'aws' }),
        { ...es({ name: 'local' }), metadata: { name: 'b', namespace: 'app' } },
      ]),
    ).toEqual([]);
  });

  it('a missing store', () => {
    expect(lines([...base, es({ kind: 'ClusterSecretStore', name: 'aws' })])).toEqual([
      'dev/c/externalsecret.app.creds.yaml: spec.secretStoreRef: ClusterSecretStore "aws" is not delivered (no component renders it)',
    ]);
  });

  it("a ClusterSecretStore whose conditions leave the ExternalSecret's namespace out", () => {
    expect(lines([...base, css(['other']), es({ kind: 'ClusterSecretStore', name: 'aws' })])).toEqual([
      'dev/c/externalsecret.app.creds.yaml: spec.secretStoreRef: ClusterSecretStore "aws" does not admit namespace "app" (its spec.conditions)',
    ]);
  });

  it('a per-entry sourceRef.storeRef is checked too', () => {
    const e = obj('external-secrets.io/v1', 'ExternalSecret', 'creds', 'app', {
      spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws' }, dataFrom: [{ sourceRef: { storeRef: { kind: 'SecretStore', name: 'vault' } } }] },
    });
    expect(lines([...base, css(['app']), e])).toEqual([
      'dev/c/externalsecret.app.creds.yaml: spec.dataFrom[0].sourceRef.storeRef: SecretStore "vault" in namespace "app" is not delivered (no component renders it)',
    ]);
  });

  it('conditions naming a namespace nothing renders', () => {
    expect(lines([...base, css(['app', 'ghost'])])).toEqual([
      'dev/c/clustersecretstore.aws.yaml: spec.conditions[0].namespaces[1]: Namespace "ghost" is not delivered (no component renders it)',
    ]);
  });
});

describe('Secrets and ConfigMaps a pod template reads', () => {
  const base = [ns('app'), ...ESO_CRDS, ...CERT_MANAGER_CRDS];
  const reads = {
    volumes: [
      { name: 'a', secret: { secretName: 'from-es' } },
      { name: 'b', configMap: { name: 'settings' } },
      { name: 'c', projected: { sources: [{ secret: { name: 'tls' } }, { configMap: { name: 'kube-root-ca.crt' } }] } },
      { name: 'd', secret: { secretName: 'maybe', optional: true } },
    ],
    imagePullSecrets: [{ name: 'from-es' }],
    containers: [
      {
        name: 'main',
        image: 'x:1',
        env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'named-target', key: 'k' } } }],
        envFrom: [{ configMapRef: { name: 'settings' } }, { secretRef: { name: 'not-there', optional: true } }],
      },
    ],
  };
  const producers = [
    obj('external-secrets.io/v1', 'ExternalSecret', 'from-es', 'app', { spec: { secretStoreRef: { kind: 'SecretStore', name: 's' } } }),
    obj('external-secrets.io/v1', 'ExternalSecret', 'es2', 'app', {
      spec: { secretStoreRef: { kind: 'SecretStore', name: 's' }, target: { name: 'named-target' } },
    }),
    obj('external-secrets.io/v1', 'SecretStore', 's', 'app', { spec: {} }),
    obj('cert-manager.io/v1', 'Certificate', 'cert', 'app', { spec: { secretName: 'tls', issuerRef: { kind: 'Issuer', name: 'i' } } }),
    obj('cert-manager.io/v1', 'Issuer', 'i', 'app', { spec: { selfSigned: {} } }),
    obj('v1', 'ConfigMap', 'settings', 'app', { data: {} }),
  ];

  it('rendered, produced by an ExternalSecret (target.name, else its name) or a Certificate (secretName), kube-root-ca.crt, or optional', () => {
    expect(lines([...base, ...producers, deployment('web', 'app', reads)])).toEqual([]);
  });

  it('each missing one, with its field path (a CronJob, an init container)', () => {
    const cron = obj('batch/v1', 'CronJob', 'job', 'app', {
      spec: {
        schedule: '@daily',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                initContainers: [{ name: 'i', image: 'x:1', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'gone', key: 'a' } } }] }],
                containers: [{ name: 'm', image: 'x:1', envFrom: [{ secretRef: { name: 'gone' } }] }],
                volumes: [{ name: 'v', secret: { secretName: 'gone' } }],
                imagePullSecrets: [{ name: 'regcred' }],
              },
            },
          },
        },
      },
    });
    expect(lines([ns('app'), cron])).toEqual([
      'dev/c/cronjob.app.job.yaml: spec.jobTemplate.spec.template.spec.volumes[0].secret.secretName: Secret "gone" in namespace "app" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
      'dev/c/cronjob.app.job.yaml: spec.jobTemplate.spec.template.spec.initContainers[0].env[0].valueFrom.configMapKeyRef.name: ConfigMap "gone" in namespace "app" is not delivered (no component renders it)',
      'dev/c/cronjob.app.job.yaml: spec.jobTemplate.spec.template.spec.containers[0].envFrom[0].secretRef.name: Secret "gone" in namespace "app" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
      'dev/c/cronjob.app.job.yaml: spec.jobTemplate.spec.template.spec.imagePullSecrets[0].name: Secret "regcred" in namespace "app" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
    ]);
  });

  it('an ExternalSecret with creationPolicy Merge or None produces nothing', () => {
    const es = (creationPolicy: string) =>
      obj('external-secrets.io/v1', 'ExternalSecret', 'creds', 'app', {
        spec: { secretStoreRef: { kind: 'SecretStore', name: 's' }, target: { creationPolicy } },
      });
    const d = deployment('web', 'app', { volumes: [{ name: 'a', secret: { secretName: 'creds' } }] });
    const store = obj('external-secrets.io/v1', 'SecretStore', 's', 'app', { spec: {} });
    expect(lines([ns('app'), ...ESO_CRDS, store, es('Orphan'), d])).toEqual([]);
    for (const policy of ['Merge', 'None'])
      expect(lines([ns('app'), ...ESO_CRDS, store, es(policy), d])).toEqual([
        'dev/c/deployment.app.web.yaml: spec.template.spec.volumes[0].secret.secretName: Secret "creds" in namespace "app" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
      ]);
  });

  it('a Secret a component declares as created at run time resolves; the same Secret undeclared does not', () => {
    const d = deployment('web', 'app', { volumes: [{ name: 'a', secret: { secretName: 'hook-made' } }] });
    expect(lines([ns('app'), d], { runtimeObjects: [{ kind: 'Secret', namespace: 'app', name: 'hook-made', why: 'the chart hook Job writes it' }] })).toEqual(
      [],
    );
    expect(lines([ns('app'), d])).toEqual([
      'dev/c/deployment.app.web.yaml: spec.template.spec.volumes[0].secret.secretName: Secret "hook-made" in namespace "app" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it',
    ]);
  });
});

describe('serviceAccountName', () => {
  it('a rendered ServiceAccount, or default', () => {
    const sa = obj('v1', 'ServiceAccount', 'web', 'app');
    expect(
      lines([ns('app'), sa, deployment('web', 'app', { serviceAccountName: 'web' }), deployment('other', 'app', { serviceAccountName: 'default' })]),
    ).toEqual([]);
  });

  it('a ServiceAccount of another namespace does not count', () => {
    expect(lines([ns('app'), ns('b'), obj('v1', 'ServiceAccount', 'web', 'b'), deployment('web', 'app', { serviceAccountName: 'web' })])).toEqual([
      'dev/c/deployment.app.web.yaml: spec.template.spec.serviceAccountName: ServiceAccount "web" in namespace "app" is not delivered (no component renders it)',
    ]);
  });
});

describe('RoleBinding and ClusterRoleBinding', () => {
  const rb = (roleRef: Record<string, string>, subjects: Record<string, string>[] = []) =>
    obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rb', 'app', { roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects });
  const crb = (roleRef: Record<string, string>, subjects: Record<string, string>[] = []) =>
    obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'crb', undefined, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects });

  it('a rendered Role of the namespace, a rendered or built-in ClusterRole, ServiceAccount subjects in delivered namespaces', () => {
    const role = obj('rbac.authorization.k8s.io/v1', 'Role', 'reader', 'app', { rules: [] });
    const cr = obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'mine', undefined, { rules: [] });
    expect(
      lines([
        ns('app'),
        role,
        cr,
        rb({ kind: 'Role', name: 'reader' }, [{ kind: 'ServiceAccount', name: 'default' }]),
        { ...rb({ kind: 'ClusterRole', name: 'view' }), metadata: { name: 'rb2', namespace: 'app' } },
        crb({ kind: 'ClusterRole', name: 'mine' }, [
          { kind: 'ServiceAccount', name: 'x', namespace: 'kube-system' },
          { kind: 'Group', name: 'devs' },
        ]),
        { ...crb({ kind: 'ClusterRole', name: 'system:auth-delegator' }), metadata: { name: 'crb2' } },
        { ...crb({ kind: 'ClusterRole', name: 'cluster-admin' }), metadata: { name: 'crb3' } },
      ]),
    ).toEqual([]);
  });

  it('a missing Role, a missing ClusterRole, a subject in a namespace nothing renders', () => {
    expect(
      lines([
        ns('app'),
        rb({ kind: 'Role', name: 'reader' }),
        crb({ kind: 'ClusterRole', name: 'operator' }, [{ kind: 'ServiceAccount', name: 'op', namespace: 'ghost' }]),
      ]),
    ).toEqual([
      'dev/c/rolebinding.app.rb.yaml: roleRef: Role "reader" in namespace "app" is not delivered (no component renders it)',
      'dev/c/clusterrolebinding.crb.yaml: roleRef: ClusterRole "operator" is not delivered (no component renders it), nor built in',
      'dev/c/clusterrolebinding.crb.yaml: subjects[0].namespace: Namespace "ghost" is not delivered (no component renders it)',
    ]);
  });
});

describe('Service selectors', () => {
  const svc = (selector?: Record<string, string>) => obj('v1', 'Service', 'web', 'app', { spec: { ports: [{ port: 80 }], ...(selector ? { selector } : {}) } });

  it('select a pod template of the namespace, a modelled workload, or nothing (no selector)', () => {
    expect(lines([ns('app'), deployment('web', 'app', {}, { app: 'web', tier: 'front' }), svc({ app: 'web' })])).toEqual([]);
    expect(lines([ns('app'), svc({ app: 'made-by-operator' })], { modelledPods: [{ namespace: 'app', labels: { app: 'made-by-operator' } }] })).toEqual([]);
    expect(lines([ns('app'), svc()])).toEqual([]);
  });

  it('selecting nothing: labels only another namespace carries, or only some of the selector', () => {
    expect(lines([ns('app'), deployment('web', 'app', {}, { app: 'web' }), svc({ app: 'web', tier: 'front' })])).toEqual([
      'dev/c/service.app.web.yaml: spec.selector: selects no pod in namespace "app" (app=web,tier=front): no rendered pod template nor modelled workload carries these labels',
    ]);
    expect(lines([ns('app'), ns('b'), deployment('web', 'b', {}), svc({ app: 'web' })])).toEqual([
      'dev/c/service.app.web.yaml: spec.selector: selects no pod in namespace "app" (app=web): no rendered pod template nor modelled workload carries these labels',
    ]);
  });
});

describe('Argo CD projects and webhook Services', () => {
  const project = obj('argoproj.io/v1alpha1', 'AppProject', 'platform', 'argocd', { spec: {} });
  const app = (p: string) => obj('argoproj.io/v1alpha1', 'Application', 'a', 'argocd', { spec: { project: p } });

  it("an Application's project is a rendered AppProject of its namespace", () => {
    expect(lines([ns('argocd'), ...ARGO_CRDS, project, app('platform')])).toEqual([]);
    expect(lines([ns('argocd'), ...ARGO_CRDS, project, app('ghost')])).toEqual([
      'dev/c/application.argocd.a.yaml: spec.project: AppProject "ghost" in namespace "argocd" is not delivered (no component renders it)',
    ]);
  });

  const webhook = (service: Record<string, string>) =>
    obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'hooks', undefined, {
      webhooks: [{ name: 'a.example.test', clientConfig: { service }, admissionReviewVersions: ['v1'], sideEffects: 'None' }],
    });

  it("a webhook configuration's Service is rendered", () => {
    const service = obj('v1', 'Service', 'hook', 'app', { spec: { ports: [{ port: 443 }] } });
    expect(lines([ns('app'), service, webhook({ name: 'hook', namespace: 'app' })])).toEqual([]);
    expect(lines([ns('app'), webhook({ name: 'hook', namespace: 'app' })])).toEqual([
      'dev/c/validatingwebhookconfiguration.hooks.yaml: webhooks[0].clientConfig.service: Service "hook" in namespace "app" is not delivered (no component renders it)',
    ]);
  });
});

describe('ValidatingAdmissionPolicyBinding policyName', () => {
  const binding = obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', 'b', undefined, {
    spec: { policyName: 'p', validationActions: ['Deny'] },
  });

  it('a delivered ValidatingAdmissionPolicy', () => {
    expect(lines([obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'p', undefined, { spec: {} }), binding])).toEqual([]);
    expect(lines([binding])).toEqual([
      'dev/c/validatingadmissionpolicybinding.b.yaml: spec.policyName: ValidatingAdmissionPolicy "p" is not delivered (no component renders it)',
    ]);
  });
});

// How long the check takes is measured by pnpm bench (synth); here, that it holds at scale.
describe('at scale', () => {
  it('20,000 objects (2,000 namespaces) resolve, with none reported', () => {
    const objects: ApiObject[] = [];
    for (let i = 0; i < 2000; i++) {
      const n = `ns${i}`;
      objects.push(ns(n), obj('v1', 'ServiceAccount', 'sa', n), obj('v1', 'ConfigMap', 'cm', n, { data: {} }));
      for (let j = 0; j < 5; j++) objects.push(deployment(`d${j}`, n, { serviceAccountName: 'sa', volumes: [{ name: 'c', configMap: { name: 'cm' } }] }));
      objects.push(obj('v1', 'Service', 's', n, { spec: { selector: { app: 'd4' } } }), obj('v1', 'Service', 't', n, { spec: { selector: { app: 'd0' } } }));
    }
    expect(objects).toHaveLength(20_000);
    expect(lines(objects)).toEqual([]);
  });
});

// ---- the hook in synth ----------------------------------------------------------------------

describe('synth', () => {
  let dev: Environment;
  beforeAll(async () => {
    [dev] = await loadEnvironments(undefined, ['dev']);
  });

  const broken: Component = {
    name: 'broken',
    namespace: () => 'whoami',
    render(chart) {
      new k8s.KubeNamespace(chart, 'ns', { metadata: { name: 'whoami' } });
      new k8s.KubeDeployment(chart, 'd', {
        metadata: { name: 'web', namespace: 'whoami' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'x:1', envFrom: [{ secretRef: { name: 'made-by-hook' } }] }] },
          },
        },
      });
    },
  };

  it('fails with one line: the first problem and how many more', () => {
    const twice: Component = {
      ...broken,
      name: 'broken2',
      render: (chart) => new k8s.KubeServiceAccount(chart, 'sa', { metadata: { name: 'x', namespace: 'ghost' } }),
    };
    expect(() => synthesize([dev], { componentsFor: () => [broken, twice] })).toThrow(
      'dev/broken/deployment.whoami.web.yaml: spec.template.spec.containers[0].envFrom[0].secretRef.name: Secret "made-by-hook" in namespace "whoami" is not delivered (no component renders it), and no ExternalSecret or Certificate produces it (and 1 more unresolved reference)',
    );
  });

  it('Argo CD objects: those directly in argocd/ reach every cluster, those in argocd/<env>/ only that one', () => {
    const argocdNs: Component = { name: 'argo', render: (chart) => new k8s.KubeNamespace(chart, 'ns', { metadata: { name: 'argocd' } }) };
    const components = renderEnvironment(dev, { componentsFor: () => [argocdNs] });
    const crb = (name: string) =>
      obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', name, undefined, {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ghost' },
      });
    const argo = [
      { file: 'argocd/clusterrolebinding.all.yaml', object: crb('all') },
      { file: 'argocd/dev/clusterrolebinding.mine.yaml', object: crb('mine') },
      { file: 'argocd/prod/clusterrolebinding.theirs.yaml', object: crb('theirs') },
    ];
    expect(environmentReferenceProblems(dev, components, argo).map(formatProblem)).toEqual([
      'argocd/clusterrolebinding.all.yaml: roleRef: ClusterRole "ghost" is not delivered (no component renders it), nor built in',
      'argocd/dev/clusterrolebinding.mine.yaml: roleRef: ClusterRole "ghost" is not delivered (no component renders it), nor built in',
    ]);
  });

  it('counts the namespace an Application creates (CreateNamespace=true: a component namespace the environment does not own)', () => {
    const render: Component['render'] = (chart) => new k8s.KubeConfigMap(chart, 'cm', { metadata: { name: 'c', namespace: 'extra' } });
    const created = renderEnvironment(dev, { componentsFor: () => [{ name: 'extra', namespace: () => 'extra', render }] });
    expect(created[0]!.metadata.syncOptions).toContain('CreateNamespace=true');
    expect(environmentReferenceProblems(dev, created, []).map(formatProblem)).toEqual([]);
    const undeclared = renderEnvironment(dev, { componentsFor: () => [{ name: 'extra', render }] });
    expect(environmentReferenceProblems(dev, undeclared, []).map(formatProblem)).toEqual([
      'dev/extra/configmap.extra.c.yaml: metadata.namespace: Namespace "extra" is not delivered (no component renders it)',
    ]);
  });

  it("counts a component's declared runtimeObjects as delivered", () => {
    const declared: Component = {
      ...broken,
      runtimeObjects: () => [{ kind: 'Secret', namespace: 'whoami', name: 'made-by-hook', why: 'fixture: a hook Job writes it' }],
    };
    expect(() => checkEnvironmentReferences(dev, renderEnvironment(dev, { componentsFor: () => [declared] }), [])).not.toThrow();
    expect(() => checkEnvironmentReferences(dev, renderEnvironment(dev, { componentsFor: () => [broken] }), [])).toThrow(
      /^dev\/broken\/deployment\.whoami\.web\.yaml: /,
    );
  });
});

// ---- the real environments ----------------------------------------------------------------

/** Every reference of every committed environment resolves; on failure it lists each unresolved one. */
describe('references resolve in every real environment (issue 11)', () => {
  it('every environment with the Argo CD objects has no unresolved reference', async () => {
    const envs = await loadEnvironments();
    const argocd = await loadArgoConfig(
      envs.map((e) => e.name),
      resolve(REPO, DEFAULT_ARGO_CONFIG),
    );
    const components = envs.flatMap((e) => renderEnvironment(e, { charts: { previous: resolve(REPO, 'dist') } }));
    const argo = renderArgo(argocd, envs, components).map(({ dir, object }) => ({ file: `${dir}/${fileNameFor(object)}`, object }));
    // Every problem of every environment, one line each (the Argo CD objects' once).
    const problems = [...new Set(envs.flatMap((env) => environmentReferenceProblems(env, components, argo).map(formatProblem)))];
    expect(problems).toEqual([]);
  });
});
