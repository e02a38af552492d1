/**
 * The cert-manager component: the chart (CRDs rendered and kept), the CA chain that provides the
 * access gateway's issuer, its namespace, its flows, and the requirement the gateway declares.
 */
import { describe, expect, it } from 'vitest';
import type { Environment } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';
import { CA_CERTIFICATE, certManagerValues, ISSUERS_WRITING_CA_CRT, ROOT_ISSUER, WEBHOOK_PORT } from '../../platform/cert-manager';
import { componentsFor, validate } from '../../platform/registry';
import { CERT_MANAGER_NAMESPACE, PLATFORM_CA_ISSUER } from '../../platform/shared/cert-manager';
import { resolveTwingate } from '../../platform/twingate/settings';
import { baseInput } from '../support/twingate';

type Obj = ApiObject & { spec?: any; component: string };

const WAVE = 'argocd.argoproj.io/sync-wave';
const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

function objectsOf(env: Environment): Obj[] {
  return renderEnvironment(env).flatMap((c) => c.objects.map((o) => ({ ...o, component: c.component }) as Obj));
}
const find = (objects: readonly Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const wave = (o: Obj | undefined) => Number((o!.metadata.annotations as Record<string, string>)[WAVE]);

describe('cert-manager', async () => {
  const all = await loadEnvironments();
  // Environments enable it exactly when a component needs it (lab, Tailscale only, has none).
  const needs = (env: Environment) => componentsFor(env).some((c) => c.requires?.includes('cert-manager'));
  const envs = all.filter(needs);
  const rendered = new Map(envs.map((env) => [env.name, objectsOf(env)]));

  it('is enabled in every environment a component of which needs it, and only there, with its namespace owned (Namespace with Pod Security restricted, default deny)', () => {
    expect(all.filter((e) => !needs(e)).map((e) => e.name)).toEqual(['lab']);
    for (const env of all) expect(env.components.includes('cert-manager'), env.name).toBe(needs(env));
    for (const env of envs) {
      expect(env.components).toContain('cert-manager');
      expect(env.namespaces).toContain(CERT_MANAGER_NAMESPACE);
      const objects = rendered.get(env.name)!;
      const ns = find(objects, 'Namespace', CERT_MANAGER_NAMESPACE)!;
      expect(ns.component).toBe('namespaces');
      expect(ns.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
      const deny = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === CERT_MANAGER_NAMESPACE && o.metadata.name === 'default-deny');
      expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
  });

  it('renders the self-signed root -> CA Certificate -> CA ClusterIssuer chain, one link per sync wave after the chart', () => {
    for (const env of envs) {
      const objects = rendered.get(env.name)!;
      const root = find(objects, 'ClusterIssuer', ROOT_ISSUER);
      const ca = find(objects, 'Certificate', CA_CERTIFICATE);
      const issuer = find(objects, 'ClusterIssuer', PLATFORM_CA_ISSUER);
      expect(root?.spec).toEqual({ selfSigned: {} });
      expect(ca?.metadata.namespace).toBe(CERT_MANAGER_NAMESPACE);
      expect(ca?.spec).toMatchObject({
        isCA: true,
        secretName: CA_CERTIFICATE,
        issuerRef: { name: ROOT_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
        privateKey: { algorithm: 'ECDSA', size: 256 },
      });
      expect(issuer?.spec).toEqual({ ca: { secretName: ca!.spec.secretName } });
      for (const o of [root, ca, issuer]) {
        expect(o!.component).toBe('cert-manager');
        expect((o!.metadata.annotations as Record<string, string>)[SYNC_OPTIONS]).toBe('SkipDryRunOnMissingResource=true');
      }
      expect([wave(root), wave(ca), wave(issuer)]).toEqual([1, 2, 3]);
    }
  });

  it("the CA ClusterIssuer is exactly the gateway Certificate's issuerRef, a CA issuer, so the gateway Secret carries ca.crt", () => {
    for (const env of envs) {
      const objects = rendered.get(env.name)!;
      const gatewayCert = objects.find((o) => o.kind === 'Certificate' && o.component === 'twingate-access-gateway')!;
      expect(gatewayCert.spec.issuerRef).toEqual({ name: PLATFORM_CA_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' });
      expect(resolveTwingate(env).certificate.issuer.name).toBe(PLATFORM_CA_ISSUER);
      const issuer = find(objects, gatewayCert.spec.issuerRef.kind, gatewayCert.spec.issuerRef.name)!;
      const type = Object.keys(issuer.spec);
      expect(type).toEqual(['ca']);
      expect(ISSUERS_WRITING_CA_CRT).toContain(type[0]);
      // The CA's Secret lives in cert-manager's namespace (the cluster resource namespace of ClusterIssuers).
      const caCert = objects.find((o) => o.kind === 'Certificate' && o.spec.secretName === issuer.spec.ca.secretName)!;
      expect(caCert.metadata.namespace).toBe(CERT_MANAGER_NAMESPACE);
      // The TwingateCertificateAuthority reads ca.crt from the Secret cert-manager writes for the gateway.
      const tca = objects.find((o) => o.kind === 'TwingateCertificateAuthority')!;
      expect(tca.spec.secretRef.name).toBe(gatewayCert.spec.secretName);
    }
    expect(ISSUERS_WRITING_CA_CRT).not.toContain('acme');
  });

  it('installs the chart with its CRDs kept on uninstall, leader election at home, no startup Job, two replicas of each pod, restricted pods', () => {
    const values = certManagerValues(envs[0]!);
    expect(values.crds).toEqual({ enabled: true, keep: true });
    expect(values.global.leaderElection.namespace).toBe(CERT_MANAGER_NAMESPACE);
    expect(values.startupapicheck).toEqual({ enabled: false });
    for (const env of envs) {
      const mine = rendered.get(env.name)!.filter((o) => o.component === 'cert-manager');
      const crds = mine.filter((o) => o.kind === 'CustomResourceDefinition');
      expect(crds.map((c) => c.metadata.name).sort()).toEqual([
        'certificaterequests.cert-manager.io',
        'certificates.cert-manager.io',
        'challenges.acme.cert-manager.io',
        'clusterissuers.cert-manager.io',
        'issuers.cert-manager.io',
        'orders.acme.cert-manager.io',
      ]);
      for (const c of crds) expect((c.metadata.annotations as Record<string, string>)['helm.sh/resource-policy']).toBe('keep');
      // The kinds this component renders are served by those CRDs.
      for (const kind of ['Certificate', 'ClusterIssuer']) {
        const crd = crds.find((c) => c.spec.names.kind === kind)!;
        expect(crd.spec.versions.filter((v: { served: boolean }) => v.served).map((v: { name: string }) => v.name)).toContain('v1');
      }
      expect(mine.filter((o) => o.kind === 'Job')).toEqual([]);
      expect(mine.filter((o) => o.metadata.namespace && o.metadata.namespace !== CERT_MANAGER_NAMESPACE)).toEqual([]);
      const deployments = mine.filter((o) => o.kind === 'Deployment');
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['cert-manager', 'cert-manager-cainjector', 'cert-manager-webhook']);
      for (const d of deployments) {
        const pod = d.spec.template.spec;
        expect(d.spec.replicas).toBe(2);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        for (const c of pod.containers) {
          expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
          expect(c.image).toMatch(/:v1\.21\.1$/);
          expect(c.resources.limits).toHaveProperty('memory');
        }
      }
    }
  });

  it('declares the flows its pods need: each to the API server, the API server to the webhook', () => {
    for (const env of envs) {
      const flows = env.flows.filter((f) => f.origin === 'cert-manager').map((f) => `${JSON.stringify(f.from)} -> ${JSON.stringify(f.to)} : ${f.ports.port}`);
      for (const w of ['controller', 'cainjector', 'webhook']) {
        expect(flows).toContain(`"cert-manager/${w}" -> {"cidr":"172.20.0.1/32","except":[]} : 443`);
      }
      const fromControlPlane = env.flows.filter((f) => f.origin === 'cert-manager' && f.to === 'cert-manager/webhook');
      expect(fromControlPlane.length).toBe(env.infra!.availabilityZones);
      for (const f of fromControlPlane) expect(f.ports).toEqual({ protocol: 'TCP', port: WEBHOOK_PORT });
      // Nothing to the internet: no ACME issuer.
      expect(env.flows.filter((f) => f.origin === 'cert-manager' && typeof f.to !== 'string' && f.to.cidr === '0.0.0.0/0')).toEqual([]);
    }
  });

  it('a gateway without cert-manager is refused in one line naming the field', () => {
    const r = validate(baseInput({ components: ['network-policy', 'external-secrets', 'twingate-operator', 'twingate-access-gateway'] }));
    expect(r).toEqual({ problem: { path: 'components[3]', message: '"twingate-access-gateway" needs "cert-manager"' } });
  });

  it('cert-manager is switched on by listing it, and alone renders its chart and chain', () => {
    const r = validate({ ...baseInput({ components: ['network-policy', 'cert-manager'] }), twingate: undefined });
    expect('env' in r).toBe(true);
    const env = (r as { env: Environment }).env;
    expect(env.components).toEqual(['namespaces', 'network-policy', 'cert-manager', 'admission-policies']);
    const objects = objectsOf(env);
    expect(find(objects, 'ClusterIssuer', PLATFORM_CA_ISSUER)).toBeDefined();
    expect(env.platformNamespaces).toEqual([CERT_MANAGER_NAMESPACE]);
  });
});
