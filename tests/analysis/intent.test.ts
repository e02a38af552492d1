/**
 * The intent check: the three committed environments pass, and mutations of the rendered
 * objects (a flow's policy missing, an extra allow, a broken default) fail with the exact
 * one-line message.
 */
import { describe, expect, it } from 'vitest';
import { checkIntent } from '../../analysis/intent';
import type { Environment } from '../../lib/environment';
import { loadEnvironment, loadEnvironments } from '../../lib/load';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';

const rendered = (env: Environment) => renderEnvironment(env).flatMap((c) => c.objects);
const netpol = (namespace: string, name: string, spec: Record<string, unknown>): ApiObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});

/** Argo CD (the argo-cd component, in every environment): the API server and the Git host are external. */
const ARGO_CD = [
  ...[
    'application-controller[StatefulSet]',
    'applicationset-controller[Deployment]',
    'server[Deployment]',
    'redis-secret-init[Job]',
    'repo-server[Deployment]',
  ].map((w) => `argocd/argocd-${w} => external`),
  ...[
    'application-controller[StatefulSet]',
    'applicationset-controller[Deployment]',
    'server[Deployment]',
    'redis-secret-init[Job]',
    'repo-server[Deployment]',
    'redis[Deployment]',
  ].map((w) => `argocd/argocd-${w} => kube-system/coredns[Deployment]`),
  'argocd/argocd-application-controller[StatefulSet] => argocd/argocd-repo-server[Deployment]',
  'argocd/argocd-applicationset-controller[Deployment] => argocd/argocd-repo-server[Deployment]',
  'argocd/argocd-server[Deployment] => argocd/argocd-repo-server[Deployment]',
  'argocd/argocd-application-controller[StatefulSet] => argocd/argocd-redis[Deployment]',
  'argocd/argocd-repo-server[Deployment] => argocd/argocd-redis[Deployment]',
  'argocd/argocd-server[Deployment] => argocd/argocd-redis[Deployment]',
];

/** External Secrets (in every environment): each pod to DNS and out (the API server, AWS), the API server in to its webhook. */
const EXTERNAL_SECRETS = [
  ...['external-secrets/external-secrets', 'external-secrets/external-secrets-webhook', 'external-secrets/external-secrets-cert-controller'].flatMap((d) => [
    `${d}[Deployment] => external`,
    `${d}[Deployment] => kube-system/coredns[Deployment]`,
  ]),
  'external => external-secrets/external-secrets-webhook[Deployment]',
];

describe('intent of the committed environments', () => {
  it('every environment passes, with the declared flows (and DNS) as its only in-scope connections', async () => {
    const envs = await loadEnvironments();
    expect(envs.map((e) => e.name)).toEqual(['dev', 'lab', 'lattice-cluster1', 'lattice-cluster2', 'prod', 'staging', 'urlshort']);
    for (const env of envs) {
      const { connections } = checkIntent(env, rendered(env));
      // Probe Jobs (network-probes, on in staging) carry their sources' labels and get exactly their
      // connections; tests/platform/probes.test.ts checks that. Here: the environment's own workloads.
      const probe = (e: (typeof connections)[number]['src']) => e.kind === 'workload' && e.workload.name.startsWith('network-probe-from-');
      const text = connections
        .filter((c) => !probe(c.src) && !probe(c.dst))
        .map((c) => `${c.src.kind === 'workload' ? c.src.workload.id : 'external'} => ${c.dst.kind === 'workload' ? c.dst.workload.id : 'external'}`);
      // The gateway and operator are the charts' Deployments, rendered into dist/; connectors are
      // the connector chart's Deployment in staging and operator-made pods (modelled) elsewhere.
      const connector = env.name === 'staging' ? 'twingate/twingate-connector[Deployment]' : 'twingate/connector[Pod]';
      const twingate = [
        `${connector} => kube-system/coredns[Deployment]`,
        `${connector} => external`,
        `${connector} => twingate/twingate-gateway[Deployment]`,
        'twingate/twingate-gateway[Deployment] => kube-system/coredns[Deployment]',
        'twingate/twingate-gateway[Deployment] => external',
        'twingate/twingate-operator[Deployment] => kube-system/coredns[Deployment]',
        'twingate/twingate-operator[Deployment] => external',
      ];
      // What every environment enables: Argo CD and the prerequisites (cert-manager, external-secrets).
      const prerequisites = [
        // Argo CD (the argo-cd component): the API server and the Git host are external.
        ...[
          'application-controller[StatefulSet]',
          'applicationset-controller[Deployment]',
          'server[Deployment]',
          'redis-secret-init[Job]',
          'repo-server[Deployment]',
        ].map((w) => `argocd/argocd-${w} => external`),
        ...[
          'application-controller[StatefulSet]',
          'applicationset-controller[Deployment]',
          'server[Deployment]',
          'redis-secret-init[Job]',
          'repo-server[Deployment]',
          'redis[Deployment]',
        ].map((w) => `argocd/argocd-${w} => kube-system/coredns[Deployment]`),
        'argocd/argocd-application-controller[StatefulSet] => argocd/argocd-repo-server[Deployment]',
        'argocd/argocd-applicationset-controller[Deployment] => argocd/argocd-repo-server[Deployment]',
        'argocd/argocd-server[Deployment] => argocd/argocd-repo-server[Deployment]',
        'argocd/argocd-application-controller[StatefulSet] => argocd/argocd-redis[Deployment]',
        'argocd/argocd-repo-server[Deployment] => argocd/argocd-redis[Deployment]',
        'argocd/argocd-server[Deployment] => argocd/argocd-redis[Deployment]',
        // The prerequisites: each pod to DNS and out (the API server, AWS), the API server in to each webhook.
        ...['cert-manager/cert-manager', 'cert-manager/cert-manager-cainjector', 'cert-manager/cert-manager-webhook'].flatMap((d) => [
          `${d}[Deployment] => external`,
          `${d}[Deployment] => kube-system/coredns[Deployment]`,
        ]),
        ...['external-secrets/external-secrets', 'external-secrets/external-secrets-webhook', 'external-secrets/external-secrets-cert-controller'].flatMap(
          (d) => [`${d}[Deployment] => external`, `${d}[Deployment] => kube-system/coredns[Deployment]`],
        ),
        'external => cert-manager/cert-manager-webhook[Deployment]',
        'external => external-secrets/external-secrets-webhook[Deployment]',
      ];
      if (env.name === 'urlshort') {
        // Seed 004's application, plus SPIRE: the agent (not owned) appears where it meets an owned pod.
        expect(new Set(text), env.name).toEqual(
          new Set([
            ...twingate,
            ...prerequisites,
            `${connector} => public/frontend[Deployment]`,
            'public/frontend[Deployment] => kube-system/coredns[Deployment]',
            'public/frontend[Deployment] => services/api-gateway[Deployment]',
            'services/api-gateway[Deployment] => kube-system/coredns[Deployment]',
            'services/api-gateway[Deployment] => services/url-service[Deployment]',
            'services/url-service[Deployment] => external',
            'services/url-service[Deployment] => kube-system/coredns[Deployment]',
            'services/worker[Deployment] => external',
            'services/worker[Deployment] => kube-system/coredns[Deployment]',
            'spire-server/spire-server[StatefulSet] => external',
            'spire-server/spire-server[StatefulSet] => kube-system/coredns[Deployment]',
            'external => spire-server/spire-server[StatefulSet]',
            'spire-system/spire-agent[DaemonSet] => spire-server/spire-server[StatefulSet]',
          ]),
        );
        continue;
      }
      if (env.name.startsWith('lattice-')) {
        // Seed 003: each app out to the VPC Lattice data plane and (its signing proxy) the Pod Identity agent, both external, in from Lattice; nothing between the clusters otherwise.
        const app = env.name === 'lattice-cluster1' ? 'apps/app1[Deployment]' : 'apps/app2[Deployment]';
        expect(new Set(text), env.name).toEqual(
          new Set([
            ...twingate,
            ...prerequisites,
            `${connector} => kube-system/coredns[Deployment]`,
            `${app} => external`,
            `external => ${app}`,
            `${app} => kube-system/coredns[Deployment]`,
            // The gateway controller and Kyverno: out to the API server and AWS, in from the API server to their webhooks.
            ...['aws-application-networking-system/gateway-api-controller', 'kyverno/kyverno-admission-controller'].flatMap((d) => [
              `${d}[Deployment] => external`,
              `${d}[Deployment] => kube-system/coredns[Deployment]`,
              `external => ${d}[Deployment]`,
            ]),
          ]),
        );
        continue;
      }
      if (env.name === 'lab') {
        // Tailscale only: the operator is the chart's Deployment; its proxies and nameserver are operator-made (modelled).
        expect(new Set(text), env.name).toEqual(
          new Set([
            'tailscale/subnet-router[Pod] => whoami/whoami[Deployment]',
            'whoami/whoami[Deployment] => tailscale/egress-lab-nginx[Pod]',
            'kube-system/coredns[Deployment] => tailscale/nameserver[Pod]',
            ...['operator[Deployment]', 'subnet-router[Pod]', 'api-server-proxy[Pod]', 'egress-lab-nginx[Pod]'].flatMap((w) => [
              `tailscale/${w} => external`,
              `tailscale/${w} => kube-system/coredns[Deployment]`,
            ]),
            'tailscale/nameserver[Pod] => kube-system/coredns[Deployment]',
            'whoami/whoami[Deployment] => kube-system/coredns[Deployment]',
            ...ARGO_CD,
            ...EXTERNAL_SECRETS,
          ]),
        );
        continue;
      }
      expect(new Set(text), env.name).toEqual(
        new Set([
          `${connector} => whoami/whoami[Deployment]`,
          `${connector} => kube-system/coredns[Deployment]`,
          'whoami/whoami[Deployment] => kube-system/coredns[Deployment]',
          `${connector} => external`,
          `${connector} => twingate/twingate-gateway[Deployment]`,
          'twingate/twingate-gateway[Deployment] => kube-system/coredns[Deployment]',
          'twingate/twingate-gateway[Deployment] => external',
          'twingate/twingate-operator[Deployment] => kube-system/coredns[Deployment]',
          'twingate/twingate-operator[Deployment] => external',
          ...prerequisites,
        ]),
      );
    }
  });
});

describe('mutations of the rendered objects', () => {
  const objects = async () => {
    const env = await loadEnvironment('dev');
    return { env, objs: rendered(env) };
  };

  it('a flow whose ingress allow is missing is blocked', async () => {
    const { env, objs } = await objects();
    const mutated = objs.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name.startsWith('allow-ingress-whoami-whoami-from-twingate-connector')));
    expect(mutated.length).toBe(objs.length - 1);
    expect(() => checkIntent(env, mutated)).toThrow(
      'environment dev: flows[0]: twingate/connector -> whoami/whoami : TCP 8080 is blocked (twingate/connector[Pod] => whoami/whoami[Deployment] lacks it)',
    );
  });

  it('a flow whose egress allow is missing is blocked, named with the range that lacks it', async () => {
    const { env, objs } = await objects();
    const mutated = objs.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name.includes('twingate-connector-to-0.0.0.0-0-tcp-443')));
    expect(() => checkIntent(env, mutated)).toThrow(
      'environment dev: component twingate-operator: flows: twingate/connector -> 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16 : TCP 443 is blocked (twingate/connector[Pod] => 0.0.0.0-9.255.255.255 lacks it)',
    );
  });

  it('an extra ingress allow is a connection no flow declares', async () => {
    const { env, objs } = await objects();
    const extra = netpol('whoami', 'extra', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 9090 }] }] });
    expect(() => checkIntent(env, [...objs, extra])).toThrow(
      'environment dev: flows: the rendered NetworkPolicies allow kube-system/coredns[Deployment] => whoami/whoami[Deployment] : TCP 9090 which no flow declares',
    );
  });

  it('an extra allow from outside the cluster is a connection no flow declares', async () => {
    const { env, objs } = await objects();
    const extra = netpol('twingate', 'extra', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] });
    expect(() => checkIntent(env, [...objs, extra])).toThrow(
      'environment dev: flows: the rendered NetworkPolicies allow 203.0.113.0-203.0.113.255 => twingate/connector[Pod] : All Connections which no flow declares',
    );
  });

  it('an extra allow that opens a declared-blocked path names the blocked entry', async () => {
    const { env, objs } = await objects();
    const extra = netpol('whoami', 'extra', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 80 }] }] });
    expect(() => checkIntent(env, [...objs, extra])).toThrow(
      'environment dev: blocked[0]: whoami/whoami -> kube-system/* is open (whoami/whoami[Deployment] => kube-system/coredns[Deployment] : TCP 80)',
    );
  });

  it('DNS to kube-dns is declared for every owned namespace', async () => {
    const { env, objs } = await objects();
    const mutated = objs.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-dns-egress' && o.metadata.namespace === 'whoami'));
    expect(() => checkIntent(env, mutated)).toThrow(
      'environment dev: namespaces[1]: DNS to kube-system (TCP 53,UDP 53) is blocked for whoami/whoami[Deployment]',
    );
  });

  it('removing a default deny that other policies make redundant changes nothing (policies are unions)', async () => {
    const { env, objs } = await objects();
    const mutated = objs.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny' && o.metadata.namespace === 'whoami'));
    expect(() => checkIntent(env, mutated)).not.toThrow();
  });
});

describe('chart pods are proven, not assumed', () => {
  it('a chart whose pod labels drift from what the policies select fails, naming the workload', async () => {
    const env = await loadEnvironment('dev');
    const drifted = rendered(env).map((o) =>
      o.kind === 'Deployment' && o.metadata.name === 'twingate-gateway'
        ? {
            ...o,
            spec: { ...(o.spec as object), template: { metadata: { labels: { 'app.kubernetes.io/name': 'gateway' } }, spec: (o.spec as any).template.spec } },
          }
        : o,
    );
    expect(() => checkIntent(env, drifted)).toThrow(
      /^environment dev: workload twingate\/gateway: no rendered pod in namespace twingate carries app\.kubernetes\.io\/name=twingate-gateway,app\.kubernetes\.io\/instance=twingate-gateway \(a chart's pod labels no longer match what the NetworkPolicies select\)$/,
    );
  });

  it('operator-made connector pods are modelled from their declaration', async () => {
    const env = await loadEnvironment('dev');
    const { analysis } = checkIntent(env, rendered(env));
    expect(analysis.workloads.find((w) => w.id === 'twingate/connector[Pod]')).toBeDefined();
    expect(env.workloads.find((w) => w.name === 'connector')!.modelled).toMatch(/operator creates connector pods/);
  });
});

describe('every rendered object is modelled', () => {
  it('a rendered workload the analyzer cannot model fails the proof instead of dropping out of it', async () => {
    const env = await loadEnvironment('dev');
    const odd = rendered(env).map((o) =>
      o.kind === 'Deployment' && o.metadata.name === 'whoami' ? { ...o, spec: { ...(o.spec as object), template: { metadata: { labels: ['whoami'] } } } } : o,
    );
    expect(() => checkIntent(env, odd)).toThrow(
      'environment dev: the reachability proof cannot model a rendered object: apps/v1 Deployment whoami/whoami: spec.template.metadata.labels is a list, not a map; not analysed',
    );
  });
});
