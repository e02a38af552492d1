/**
 * Workload identity with SPIRE, on the urlshort example environment (seed 004): one
 * ClusterSPIFFEID per declared identity with a unique, well-formed SPIFFE ID; mTLS flows that
 * the network lets through and nobody else; the server restricted and the agent namespace the
 * one documented Pod Security exception; the agent namespace's NetworkPolicies proven; bad input
 * refused with one line, exit 1, dist untouched; kubeconform strict with the SPIRE CRD schemas.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatConns } from '../../analysis/conns';
import { checkIntent } from '../../analysis/intent';
import urlshort from '../../environments/urlshort';
import { main as synth } from '../../lib/cli/synth';
import { main as validateCli } from '../../lib/cli/validate';
import type { Environment } from '../../lib/environment';
import { readTree } from '../../lib/output';
import { formatProblem } from '../../lib/references';
import { environmentReferenceProblems, renderEnvironment } from '../../lib/synth';
import { TRUST_DOMAIN, workloadIdentityOf } from '../../lib/workload-identity';
import { POD_SECURITY_LEVEL } from '../../platform/namespaces';
import { componentsFor, type EnvironmentInput, validate } from '../../platform/registry';
import { AGENT_NAMESPACE_REASON, BUNDLE_CONFIGMAP, controllerClass, POD_SECURITY_EXCEPTION_ANNOTATION, spire, spireSettingsOf } from '../../platform/spire';
import { captureIo, clone, environments, KUBECONFORM_SCHEMAS, objectsOf, skipWithoutKubeconform } from '../support';

type Obj = ReturnType<typeof objectsOf>[number] & { spec?: any; data?: Record<string, string> };

const input = () => clone(urlshort) as EnvironmentInput;

function load(i: unknown): Environment {
  const r = validate(i);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

/** `<path>: <message>` of the first problem, or "valid". */
function problemOf(i: unknown): string {
  const r = validate(i);
  return 'problem' in r ? `${r.problem.path}: ${r.problem.message}` : 'valid';
}

const env = load(input());
const objects = objectsOf(env) as Obj[];
const of = (kind: string, ns?: string) => objects.filter((o) => o.kind === kind && (ns === undefined || o.metadata.namespace === ns));
const podSpecs = (ns: string) =>
  objects
    .filter((o) => o.metadata.namespace === ns && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind))
    .map((o) => ({ name: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec, labels: o.spec.template.metadata.labels }));
const s = spireSettingsOf(env);

describe('SPIFFE identities', () => {
  const ids = of('ClusterSPIFFEID');

  it('renders one ClusterSPIFFEID per declared identity, with exactly spiffe://<trust-domain>/ns/<ns>/sa/<sa>', () => {
    expect(ids.map((o) => o.spec.spiffeIDTemplate).sort()).toEqual([
      'spiffe://mol.la/ns/services/sa/api-gateway',
      'spiffe://mol.la/ns/services/sa/url-service',
      'spiffe://mol.la/ns/services/sa/worker',
    ]);
    expect(ids).toHaveLength(s.declared.identities.length);
    // The chart's catch-all identities are off: only declared workloads get an SVID.
    expect(ids.every((o) => o.component === 'spire')).toBe(true);
  });

  it('gives every identity a unique, well-formed ID in the environment trust domain', () => {
    const all = ids.map((o) => o.spec.spiffeIDTemplate as string);
    expect(new Set(all).size).toBe(all.length);
    for (const id of all) {
      const m = /^spiffe:\/\/([^/]+)\/ns\/([a-z0-9-]+)\/sa\/([a-z0-9-]+)$/.exec(id);
      expect(m, id).not.toBeNull();
      expect(m![1]).toBe(s.trustDomain);
      expect(TRUST_DOMAIN.test(m![1]!)).toBe(true);
    }
  });

  it('selects exactly the pods of the app that runs as that ServiceAccount, and only with the namespace and ServiceAccount the kubelet reports', () => {
    for (const o of ids) {
      const [, ns, sa] = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(o.spec.spiffeIDTemplate)!;
      expect(o.spec.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': ns } });
      expect(o.spec.workloadSelectorTemplates).toEqual([`k8s:ns:${ns}`, `k8s:sa:${sa}`]);
      const selected = podSpecs(ns!).filter((p) => Object.entries(o.spec.podSelector.matchLabels).every(([k, v]) => p.labels[k] === v));
      expect(selected.map((p) => p.name)).toEqual([`Deployment/${sa}`]);
      expect(selected[0]!.spec.serviceAccountName).toBe(sa);
    }
  });

  it("uses the class the chart's controller manager reconciles", () => {
    const config = parse(
      of('ConfigMap', s.serverNamespace).find((o) => o.metadata.name === 'spire-controller-manager')!.data!['controller-manager-config.yaml']!,
    );
    expect(config.className).toBe(controllerClass(s));
    expect(config.trustDomain).toBe('mol.la');
    expect(config.watchClassless).toBe(false);
    for (const o of ids) expect(o.spec.className).toBe(config.className);
  });

  it('has one trust domain per environment, written into the server and agent configuration', async () => {
    const domains = (await environments()).flatMap((e) => workloadIdentityOf(e)?.trustDomain ?? []);
    expect(new Set(domains).size).toBe(domains.length);
    const server = JSON.parse(of('ConfigMap', s.serverNamespace).find((o) => o.metadata.name === 'spire-server')!.data!['server.conf']!);
    const agent = JSON.parse(of('ConfigMap', s.agentNamespace).find((o) => o.metadata.name === 'spire-agent')!.data!['agent.conf']!);
    expect(server.server.trust_domain).toBe('mol.la');
    expect(agent.agent.trust_domain).toBe('mol.la');
  });

  it('mounts the Workload API into apps with an identity (CSI, no hostPath) and tells each mTLS server exactly its clients', () => {
    const deployment = (app: string) => of('Deployment').find((o) => o.metadata.name === app)!.spec.template.spec;
    const envOf = (app: string) => Object.fromEntries((deployment(app).containers[0].env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
    for (const app of ['api-gateway', 'url-service', 'worker']) {
      expect(deployment(app).volumes).toEqual([{ name: 'spiffe-workload-api', csi: { driver: 'csi.spiffe.io', readOnly: true } }]);
      expect(envOf(app).SPIFFE_ENDPOINT_SOCKET).toBe('unix:///spiffe-workload-api/spire-agent.sock');
      expect(envOf(app).SPIFFE_ID).toBe(`spiffe://mol.la/ns/services/sa/${app}`);
    }
    expect(envOf('url-service').SPIFFE_MTLS_ALLOWED_CLIENTS).toBe('spiffe://mol.la/ns/services/sa/api-gateway');
    expect(envOf('api-gateway').SPIFFE_MTLS_ALLOWED_SERVERS).toBe('spiffe://mol.la/ns/services/sa/url-service');
    expect(envOf('worker').SPIFFE_MTLS_ALLOWED_CLIENTS).toBeUndefined();
    expect(deployment('frontend').volumes).toBeUndefined();
  });
});

describe('mTLS and the network layer', () => {
  const proof = checkIntent(env, objects);
  const reachable = (from: string, to: string, port: number) =>
    proof.analysis.connections.some(
      (c) =>
        c.src.kind === 'workload' &&
        c.dst.kind === 'workload' &&
        c.src.workload.id.startsWith(`${from}[`) &&
        c.dst.workload.id.startsWith(`${to}[`) &&
        c.conns.TCP.some(([a, b]) => a <= port && port <= b),
    );

  it('every mTLS flow has a declared network flow, and the rendered policies let it through', () => {
    const view = workloadIdentityOf(env)!;
    expect(view.mtls.length).toBeGreaterThan(0);
    for (const m of view.mtls) {
      const client = `${m.client.namespace}/${m.client.app}`;
      const server = `${m.server.namespace}/${m.server.app}`;
      expect(env.flows.some((f) => f.from === client && f.to === server && f.ports.port === m.containerPort)).toBe(true);
      expect(reachable(client, server, m.containerPort)).toBe(true);
    }
  });

  it('no workload other than a declared mTLS client reaches a server mTLS port (the reverse)', () => {
    const view = workloadIdentityOf(env)!;
    for (const m of view.mtls) {
      const clients = view.mtls.filter((x) => x.server === m.server).map((x) => `${x.client.namespace}/${x.client.app}[`);
      const callers = proof.analysis.connections.filter(
        (c) =>
          c.dst.kind === 'workload' &&
          c.dst.workload.id.startsWith(`${m.server.namespace}/${m.server.app}[`) &&
          c.conns.TCP.some(([a, b]) => a <= m.containerPort && m.containerPort <= b),
      );
      expect(callers.length).toBeGreaterThan(0);
      for (const c of callers) expect(clients.some((p) => c.src.kind === 'workload' && c.src.workload.id.startsWith(p))).toBe(true);
    }
  });

  it("reproduces the seed's blocked-traffic table, and synth proves it closed", () => {
    const pairs = env.blocked.map((b) => `${typeof b.from === 'string' ? b.from : b.from.cidr} -> ${typeof b.to === 'string' ? b.to : b.to.cidr}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        'services/worker -> services/api-gateway',
        'services/worker -> services/url-service',
        'public/frontend -> services/url-service',
        'services/url-service -> services/api-gateway',
        '0.0.0.0/0 -> public/*',
        '0.0.0.0/0 -> services/*',
      ]),
    );
    expect(reachable('services/worker', 'services/api-gateway', 8000)).toBe(false);
    expect(reachable('public/frontend', 'services/url-service', 8443)).toBe(false);
  });

  it('a flow opening a blocked path fails the proof, naming the blocked entry', () => {
    const i = input();
    i.flows = [...(i.flows ?? []), { from: 'services/worker', to: 'services/api-gateway', port: 'http' }];
    const bad = load(i);
    expect(() => checkIntent(bad, objectsOf(bad))).toThrow(
      'environment urlshort: blocked[0]: services/worker -> services/api-gateway is open (services/worker[Deployment] => services/api-gateway[Deployment] : TCP 8000)',
    );
  });
});

describe('Pod Security: the server restricted, the agent namespace the documented exception', () => {
  const ns = (name: string) => of('Namespace').find((o) => o.metadata.name === name)!;

  it('runs the SPIRE server and controller manager in an owned namespace at restricted, and their pods meet it', () => {
    expect(env.namespaces).toContain(s.serverNamespace);
    expect((ns(s.serverNamespace).metadata.labels as Record<string, string>)['pod-security.kubernetes.io/enforce']).toBe(POD_SECURITY_LEVEL);
    const pods = podSpecs(s.serverNamespace);
    expect(pods.map((p) => p.name)).toEqual(['StatefulSet/spire-server']);
    for (const { spec } of pods) {
      expect(spec.hostPID ?? false).toBe(false);
      expect(spec.hostNetwork ?? false).toBe(false);
      expect((spec.volumes ?? []).filter((v: Record<string, unknown>) => v.hostPath)).toEqual([]);
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
        expect(c.securityContext.seccompProfile ?? spec.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      }
    }
  });

  it('the agent namespace cannot be restricted: the agent needs hostPID and a hostPath socket directory, the CSI driver a privileged container', () => {
    const [agent] = podSpecs(s.agentNamespace).filter((p) => p.name === 'DaemonSet/spire-agent');
    const [csi] = podSpecs(s.agentNamespace).filter((p) => p.name === 'DaemonSet/spire-spiffe-csi-driver');
    // Each of these is refused by Pod Security "restricted" (and "baseline"): that is why.
    expect(agent!.spec.hostPID).toBe(true);
    expect(agent!.spec.volumes.filter((v: { hostPath?: { path: string } }) => v.hostPath).map((v: { hostPath: { path: string } }) => v.hostPath.path)).toEqual([
      '/run/spire/agent-sockets',
    ]);
    expect(csi!.spec.containers.find((c: { name: string }) => c.name === 'spiffe-csi-driver').securityContext.privileged).toBe(true);
  });

  it('so the agent namespace is not one the platform owns, and is rendered at privileged with its reason on the object', () => {
    expect(env.namespaces).not.toContain(s.agentNamespace);
    const n = ns(s.agentNamespace);
    expect(n.component).toBe('spire');
    expect(n.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'privileged',
    });
    expect((n.metadata.annotations as Record<string, string>)[POD_SECURITY_EXCEPTION_ANNOTATION]).toBe(AGENT_NAMESPACE_REASON);
  });

  it('the exception does not spread: it is the only namespace below restricted, and holds only the agent and the CSI driver', () => {
    const below = of('Namespace').filter((o) => (o.metadata.labels as Record<string, string>)['pod-security.kubernetes.io/enforce'] !== POD_SECURITY_LEVEL);
    expect(below.map((o) => o.metadata.name)).toEqual([s.agentNamespace]);
    expect(
      podSpecs(s.agentNamespace)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['DaemonSet/spire-agent', 'DaemonSet/spire-spiffe-csi-driver']);
  });

  it('refuses the agent namespace among the owned (restricted) namespaces, naming why', () => {
    const i = input();
    i.namespaces = [...i.namespaces, 'spire-system'];
    expect(problemOf(i)).toBe(
      'namespaces[4]: "spire-system" is the SPIRE agent\'s namespace (spire.agentNamespace), which cannot be restricted: the agent needs the host\'s PID namespace and socket directory. Remove it from namespaces; the spire component renders it at Pod Security "privileged" (docs/workload-identity.md)',
    );
  });
});

describe('NetworkPolicies of the SPIRE pods', () => {
  const proof = checkIntent(env, objects);
  const inAgentNs = (e: { kind: string; workload?: { namespace: string } }) => e.kind === 'workload' && e.workload!.namespace === s.agentNamespace;
  const fmt = (c: (typeof proof.analysis.connections)[number]) =>
    `${c.src.kind === 'workload' ? c.src.workload.id : 'range'} => ${c.dst.kind === 'workload' ? c.dst.workload.id : `${c.dst.range.start}`} : ${formatConns(c.conns)}`;

  it('keeps the agent on the pod network, so its policies apply', () => {
    const agent = podSpecs(s.agentNamespace).find((p) => p.name === 'DaemonSet/spire-agent')!;
    expect(agent.spec.hostNetwork ?? false).toBe(false);
    expect(of('NetworkPolicy', s.agentNamespace).map((o) => o.metadata.name)).toContain('default-deny');
  });

  it('lets agent-namespace pods reach only the server (gRPC), their kubelet (10250) and DNS; nothing reaches them', () => {
    const out = proof.analysis.connections.filter((c) => inAgentNs(c.src));
    const into = proof.analysis.connections.filter((c) => inAgentNs(c.dst));
    expect(into.map(fmt)).toEqual([]);
    const lines = out.map(fmt);
    expect(lines.filter((l) => l.startsWith('spire-system/spire-spiffe-csi-driver')).every((l) => l.includes('kube-system/coredns'))).toBe(true);
    const agent = out.filter((c) => c.src.kind === 'workload' && c.src.workload.id.startsWith('spire-system/spire-agent'));
    const byDst = agent.map((c) => (c.dst.kind === 'workload' ? `${c.dst.workload.id}` : 'range'));
    expect([...new Set(byDst)].sort()).toEqual(['kube-system/coredns[Deployment]', 'range', 'spire-server/spire-server[StatefulSet]']);
    for (const c of agent) {
      if (c.dst.kind === 'range') expect(formatConns(c.conns)).toBe('TCP 10250');
      else if (c.dst.workload.id.startsWith('spire-server/')) expect(formatConns(c.conns)).toBe('TCP 8081');
    }
  });

  it('lets only the agents (gRPC) and the control plane (webhook) into the server', () => {
    const into = proof.analysis.connections.filter((c) => c.dst.kind === 'workload' && c.dst.workload.id.startsWith(`${s.serverNamespace}/`));
    for (const c of into) {
      if (c.src.kind === 'workload') {
        expect(c.src.workload.id).toBe('spire-system/spire-agent[DaemonSet]');
        expect(formatConns(c.conns)).toBe('TCP 8081');
      } else expect(formatConns(c.conns)).toBe('TCP 9443');
    }
    expect(into.length).toBeGreaterThan(1);
  });
});

describe('references: the trust bundle ConfigMap the server publishes at run time', () => {
  it('is the ConfigMap the agent mounts, the one the server publishes to and the one its Role may create, in the agent namespace', () => {
    const agent = of('DaemonSet', s.agentNamespace).find((o) => o.metadata.name === 'spire-agent')!;
    expect(agent.spec.template.spec.volumes.filter((v: any) => v.configMap).map((v: any) => v.configMap.name)).toContain(BUNDLE_CONFIGMAP);
    const server = JSON.parse(of('ConfigMap', s.serverNamespace).find((o) => o.metadata.name === 'spire-server')!.data!['server.conf']!);
    expect(server.plugins.BundlePublisher[0].k8s_configmap.plugin_data.clusters[0]['chart-internal']).toMatchObject({
      configmap_name: BUNDLE_CONFIGMAP,
      namespace: s.agentNamespace,
    });
    const role = of('Role', s.agentNamespace).find((o) => o.metadata.name === 'spire-bundle') as any;
    expect(role.rules).toEqual([
      expect.objectContaining({ resources: ['configmaps'], resourceNames: [BUNDLE_CONFIGMAP], verbs: expect.arrayContaining(['create']) }),
    ]);
    // Never rendered: the server creates it.
    expect(of('ConfigMap').filter((o) => o.metadata.name === BUNDLE_CONFIGMAP)).toEqual([]);
  });

  it('is declared by the spire component (and nothing else is), so every reference of urlshort resolves', () => {
    expect(spire.runtimeObjects(env)).toEqual([
      { kind: 'ConfigMap', namespace: s.agentNamespace, name: BUNDLE_CONFIGMAP, why: expect.stringContaining('BundlePublisher') },
    ]);
    expect(environmentReferenceProblems(env, renderEnvironment(env), []).map(formatProblem)).toEqual([]);
  });

  it('without the declaration, the reference check names the agent mount (the check can fail)', () => {
    const undeclared = renderEnvironment(env, {
      componentsFor: (e) => componentsFor(e).map((c) => (c.name === 'spire' ? { ...c, runtimeObjects: undefined } : c)),
    });
    expect(environmentReferenceProblems(env, undeclared, []).map(formatProblem)).toEqual([
      `urlshort/spire/daemonset.spire-system.spire-agent.yaml: spec.template.spec.volumes[4].configMap.name: ConfigMap "${BUNDLE_CONFIGMAP}" in namespace "spire-system" is not delivered (no component renders it)`,
    ]);
  });
});

describe('bad workload-identity input', () => {
  const withSpire = (patch: Partial<NonNullable<EnvironmentInput['spire']>>) => {
    const i = input();
    i.spire = { ...i.spire!, ...patch };
    return i;
  };
  const worker = (aws: unknown) => {
    const i = input();
    (i.apps!.worker as { aws: unknown }).aws = aws;
    return i;
  };

  it.each([
    [
      'an identity for an unknown ServiceAccount',
      withSpire({ identities: ['services/api-gateway', 'services/ghost'] }),
      'spire.identities[1]: "services/ghost" is not the ServiceAccount of an app of this environment (known: "public/frontend", "services/api-gateway", "services/url-service", "services/worker")',
    ],
    [
      'a ServiceAccount in the wrong namespace',
      withSpire({ identities: ['public/worker'] }),
      'spire.identities[0]: "public/worker" is not the ServiceAccount of an app of this environment (known: "public/frontend", "services/api-gateway", "services/url-service", "services/worker")',
    ],
    [
      'a trust domain with a scheme',
      withSpire({ trustDomain: 'spiffe://mol.la' }),
      'spire.trustDomain: "spiffe://mol.la" is not a SPIFFE trust domain (lowercase letters, digits, ".", "-" and "_"; no scheme, port, path or empty label)',
    ],
    [
      'a trust domain in capitals',
      withSpire({ trustDomain: 'Mol.La' }),
      'spire.trustDomain: "Mol.La" is not a SPIFFE trust domain (lowercase letters, digits, ".", "-" and "_"; no scheme, port, path or empty label)',
    ],
    [
      'a trust domain with a port',
      withSpire({ trustDomain: 'mol.la:8443' }),
      'spire.trustDomain: "mol.la:8443" is not a SPIFFE trust domain (lowercase letters, digits, ".", "-" and "_"; no scheme, port, path or empty label)',
    ],
    [
      'a trust domain with an empty label',
      withSpire({ trustDomain: 'mol..la' }),
      'spire.trustDomain: "mol..la" is not a SPIFFE trust domain (lowercase letters, digits, ".", "-" and "_"; no scheme, port, path or empty label)',
    ],
    [
      'an mTLS client without an identity',
      withSpire({ identities: ['services/url-service', 'services/worker'] }),
      'spire.mtls[0].client: "services/api-gateway" has no SPIFFE identity; add it to spire.identities',
    ],
    [
      'an mTLS port the server lacks',
      withSpire({ mtls: [{ client: 'services/api-gateway', server: 'services/url-service', port: 'grpc' }] }),
      'spire.mtls[0].port: "services/url-service" has no port named "grpc" (it has "mtls", "health")',
    ],
    [
      'an AWS action outside the allowed list',
      worker([{ actions: ['sqs:*'], resources: ['arn:aws:sqs:us-east-1:111122223333:urlshort-clicks'] }]),
      `apps.worker.aws[0].actions[0]: "sqs:*" is not an allowed action (allowed: dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query, s3:GetObject, s3:PutObject, secretsmanager:DescribeSecret, secretsmanager:GetSecretValue, sns:Publish, sqs:ChangeMessageVisibility, sqs:DeleteMessage, sqs:GetQueueAttributes, sqs:ReceiveMessage, sqs:SendMessage)`,
    ],
    [
      'iam:PassRole',
      worker([{ actions: ['iam:PassRole'], resources: ['arn:aws:iam::111122223333:role/admin'] }]),
      'apps.worker.aws[0].actions[0]: "iam:PassRole" is not an allowed action (allowed: dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query, s3:GetObject, s3:PutObject, secretsmanager:DescribeSecret, secretsmanager:GetSecretValue, sns:Publish, sqs:ChangeMessageVisibility, sqs:DeleteMessage, sqs:GetQueueAttributes, sqs:ReceiveMessage, sqs:SendMessage)',
    ],
    [
      'a wildcard resource',
      worker([{ actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:us-east-1:111122223333:*'] }]),
      'apps.worker.aws[0].resources[0]: "arn:aws:sqs:us-east-1:111122223333:*" has a wildcard; name exactly the resource the app uses',
    ],
    [
      '"*" as a resource',
      worker([{ actions: ['sqs:SendMessage'], resources: ['*'] }]),
      'apps.worker.aws[0].resources[0]: "*" has a wildcard; name exactly the resource the app uses',
    ],
    [
      'an ARN of another service',
      worker([{ actions: ['sqs:SendMessage'], resources: ['arn:aws:sns:us-east-1:111122223333:topic'] }]),
      'apps.worker.aws[0].resources[0]: "arn:aws:sns:us-east-1:111122223333:topic" is not a resource "sqs:SendMessage" applies to (expected arn:aws:sqs:<region>:<account>:<queue>)',
    ],
    [
      'an ARN in another region',
      worker([{ actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:eu-west-2:111122223333:q'] }]),
      'apps.worker.aws[0].resources[0]: "arn:aws:sqs:eu-west-2:111122223333:q" is in region "eu-west-2", not the environment\'s "us-east-1"',
    ],
  ])('%s', (_case, bad, expected) => {
    expect(problemOf(bad)).toBe(expected);
  });

  it('an mTLS call without a network flow', () => {
    const i = input();
    i.flows = i.flows!.filter((f) => f.to !== 'services/url-service');
    expect(problemOf(i)).toBe(
      'spire.mtls[0] (services/api-gateway -> services/url-service : mtls): no flow lets this mTLS call through; add { from: "services/api-gateway", to: "services/url-service", port: "mtls" } to flows',
    );
  });

  it('a network flow into an mTLS port from a caller the server does not accept', () => {
    const i = input();
    i.flows = [...i.flows!, { from: 'services/worker', to: 'services/url-service', port: 'mtls' }];
    expect(problemOf(i)).toBe(
      `flows[6] (services/worker -> services/url-service : mtls): reaches the mTLS port "mtls" of services/url-service, which accepts only spiffe://mol.la/ns/services/sa/api-gateway (spire.mtls); declare this caller's mTLS flow or remove the flow`,
    );
  });

  it('AWS access without the flow to the Pod Identity agent', () => {
    const i = input();
    i.flows = i.flows!.filter((f) => typeof f.to === 'string' || f.to.cidr !== '169.254.170.23/32');
    expect(problemOf(i)).toBe(
      'apps.worker.aws: the app gets its AWS role from the EKS Pod Identity agent: declare the flow { from: "services/worker", to: { cidr: "169.254.170.23/32" }, port: 80 }',
    );
  });

  it('the example is valid as shipped (the cases above each break one thing)', () => {
    expect(problemOf(input())).toBe('valid');
  });
});

describe('pnpm synth with bad workload-identity input', () => {
  let dir: string;
  let envDir: string;
  let outDir: string;
  const write = (name: string, i: EnvironmentInput) => writeFileSync(join(envDir, `${name}.mjs`), `export default ${JSON.stringify({ ...i, name })};\n`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spire-synth-'));
    envDir = join(dir, 'environments');
    outDir = join(dir, 'dist');
    mkdirSync(envDir);
    write('good', input());
    const io = captureIo();
    expect(await synth(['--environments', envDir, '--out', outDir], io)).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders the good environment first (so "untouched" means something)', () => {
    expect([...readTree(outDir).keys()].filter((f) => f.startsWith('good/spire/clusterspiffeid.'))).toHaveLength(3);
  });

  const bad: [string, (i: EnvironmentInput) => void, string][] = [
    ['an identity for an unknown ServiceAccount', (i) => i.spire!.identities!.push('services/ghost'), 'spire.identities[3]'],
    ['an AWS action outside the allowed list', (i) => i.apps!.worker!.aws![0]!.actions.push('sqs:PurgeQueue'), 'apps.worker.aws[0].actions[3]'],
    ['a malformed trust domain', (i) => (i.spire!.trustDomain = 'mol.la/'), 'spire.trustDomain'],
  ];
  let attempt = 0;
  it.each(bad)('%s: exit 1, one line naming environment and field, dist untouched', async (_case, mutate, path) => {
    const before = readTree(outDir);
    const name = `bad-${++attempt}`;
    const i = input();
    mutate(i);
    write(name, i);
    const io = captureIo();
    try {
      expect(await synth(['--environments', envDir, '--out', outDir], io)).toBe(1);
    } finally {
      rmSync(join(envDir, `${name}.mjs`));
    }
    expect(io.lines.err).toHaveLength(1);
    expect(io.lines.err[0]!.split('\n')).toHaveLength(1);
    expect(io.lines.err[0]!.startsWith(`error: environment ${name}: ${path}: `), io.lines.err[0]).toBe(true);
    expect(io.lines.out).toEqual([]);
    expect(readTree(outDir)).toEqual(before);
  });

  it.skipIf(skipWithoutKubeconform)('validates strictly with the SPIRE CRD schemas (ClusterSPIFFEID included), offline', async () => {
    const io = captureIo();
    const code = await validateCli([join(outDir, 'good'), '--schemas', KUBECONFORM_SCHEMAS, '--no-cache'], io);
    expect(io.lines.err).toEqual([]);
    expect(code).toBe(0);
    expect([...readTree(outDir).keys()].filter((f) => /^good\/spire(-crds)?\/(clusterspiffeid|customresourcedefinition)\./.test(f))).toHaveLength(6);
    expect(io.lines.out.join('\n')).toMatch(/0 invalid, 0 errors, 0 skipped/);
  });

  it.skipIf(skipWithoutKubeconform)('kubeconform rejects a ClusterSPIFFEID the CRD schema refuses (the schema is really applied)', async () => {
    const bogus = join(dir, 'bogus');
    mkdirSync(bogus);
    writeFileSync(
      join(bogus, 'clusterspiffeid.x.yaml'),
      'apiVersion: spire.spiffe.io/v1alpha1\nkind: ClusterSPIFFEID\nmetadata:\n  name: x\nspec:\n  spiffeIDTemplate: spiffe://mol.la/x\n  notAField: true\n',
    );
    const io = captureIo();
    expect(await validateCli([bogus, '--schemas', KUBECONFORM_SCHEMAS, '--no-cache'], io)).toBe(1);
  });
});
