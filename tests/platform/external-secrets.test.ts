/**
 * The external-secrets component: installed under exactly the namespace and ServiceAccount
 * infra's Pod Identity association names, its CRDs delivered from the pinned upstream files, the
 * ClusterSecretStore it provides and the consumers' ExternalSecrets resolving to it, its flows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fileDigest, readCrdLock } from '../../lib/charts/crds';
import type { Environment } from '../../lib/environment';
import { loadEnvironments, REPO_ROOT } from '../../lib/load';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';
import { ESO_CRDS, externalSecretsValues, WEBHOOK_PORT } from '../../platform/external-secrets';
import { validate } from '../../platform/registry';
import { AWS_SECRET_STORE, EXTERNAL_SECRETS_SERVICE_ACCOUNT } from '../../platform/shared/external-secrets';
import { maybeTailscale } from '../../platform/tailscale/settings';
import { maybeTwingate } from '../../platform/twingate/settings';
import { baseInput } from '../support/twingate';

type Obj = ApiObject & { spec?: any; component: string };

const NS = EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace;

function objectsOf(env: Environment): Obj[] {
  return renderEnvironment(env).flatMap((c) => c.objects.map((o) => ({ ...o, component: c.component }) as Obj));
}

describe('external-secrets', async () => {
  const envs = await loadEnvironments();
  const rendered = new Map(envs.map((env) => [env.name, objectsOf(env)]));

  it('runs under exactly the namespace and ServiceAccount of the Pod Identity association (one constant)', () => {
    expect(EXTERNAL_SECRETS_SERVICE_ACCOUNT).toEqual({ namespace: 'external-secrets', name: 'external-secrets' });
    // infra's association imports the same constant (infra/test/secrets.suite.ts checks the association itself).
    expect(readFileSync(join(REPO_ROOT, 'infra', 'src', 'workload-iam.ts'), 'utf8')).toContain(
      "import { EXTERNAL_SECRETS_SERVICE_ACCOUNT } from '../../platform/shared/external-secrets';",
    );
    for (const env of envs) {
      const values = externalSecretsValues(env);
      expect(values.serviceAccount).toEqual({ create: true, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name });
      expect(values.installCRDs).toBe(false);
      const mine = rendered.get(env.name)!.filter((o) => o.component === 'external-secrets');
      const controller = mine.find((o) => o.kind === 'Deployment' && o.metadata.name === 'external-secrets')!;
      expect(controller.metadata.namespace).toBe(NS);
      expect(controller.spec.template.spec.serviceAccountName).toBe(EXTERNAL_SECRETS_SERVICE_ACCOUNT.name);
      expect(mine.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === EXTERNAL_SECRETS_SERVICE_ACCOUNT.name && o.metadata.namespace === NS)).toBe(
        true,
      );
      expect(mine.filter((o) => o.metadata.namespace && o.metadata.namespace !== NS)).toEqual([]);
      const ns = rendered.get(env.name)!.find((o) => o.kind === 'Namespace' && o.metadata.name === NS)!;
      expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
      expect(rendered.get(env.name)!.some((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === NS && o.metadata.name === 'default-deny')).toBe(true);
    }
  });

  it('delivers the pinned upstream CRDs as published, each serving v1, recorded in component.json', async () => {
    const lock = readCrdLock();
    for (const env of envs) {
      const crds = rendered.get(env.name)!.filter((o) => o.component === 'external-secrets' && o.kind === 'CustomResourceDefinition');
      expect(crds.map((c) => c.metadata.name).sort()).toEqual([
        'clusterexternalsecrets.external-secrets.io',
        'clustersecretstores.external-secrets.io',
        'externalsecrets.external-secrets.io',
        'secretstores.external-secrets.io',
      ]);
      for (const c of crds) {
        const served = c.spec.versions.filter((v: { served: boolean }) => v.served).map((v: { name: string }) => v.name);
        expect(served, c.metadata.name).toEqual(['v1']);
      }
      // Every ExternalSecret and ClusterSecretStore the platform renders uses a served version.
      for (const o of rendered.get(env.name)!.filter((x) => x.apiVersion.startsWith('external-secrets.io/')))
        expect(o.apiVersion).toBe('external-secrets.io/v1');
      const meta = JSON.parse(readFileSync(join(REPO_ROOT, 'dist', env.name, 'external-secrets', 'component.json'), 'utf8')).component;
      expect(meta.crds.names).toEqual(crds.map((c) => c.metadata.name).sort());
      expect(meta.syncOptions).toContain('ServerSideApply=true');
    }
    // The committed files are the upstream files (same objects), and the lock pins each URL.
    for (const file of ESO_CRDS.files) {
      expect(lock.crds.find((c) => c.url === `${ESO_CRDS.baseUrl}/${file}`)?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    const upstream = parse(readFileSync(join(process.env.ZT_CRDS_DIR!, 'external-secrets', 'external-secrets.io_externalsecrets.yaml'), 'utf8'));
    const committed = parse(
      readFileSync(join(REPO_ROOT, 'dist', 'dev', 'external-secrets', 'customresourcedefinition.externalsecrets.external-secrets.io.yaml'), 'utf8'),
    );
    expect(committed).toEqual(upstream);
    expect(fileDigest(readFileSync(join(process.env.ZT_CRDS_DIR!, 'external-secrets', 'external-secrets.io_externalsecrets.yaml')))).toBe(
      lock.crds.find((c) => c.url.endsWith('/external-secrets.io_externalsecrets.yaml'))!.digest,
    );
  });

  it('provides the ClusterSecretStore every ExternalSecret references: AWS Secrets Manager, no auth block, only the namespaces of components requiring it, after the chart', () => {
    for (const env of envs) {
      const objects = rendered.get(env.name)!;
      const stores = objects.filter((o) => o.kind === 'ClusterSecretStore');
      expect(stores.map((s) => [s.component, s.metadata.name])).toEqual([['external-secrets', AWS_SECRET_STORE]]);
      const store = stores[0]!;
      expect(store.spec.provider).toEqual({ aws: { service: 'SecretsManager', region: env.aws.region } });
      // Exactly the namespaces of the components that require external-secrets (Twingate's, Tailscale's in lab).
      const consumers = [maybeTwingate(env)?.namespace, maybeTailscale(env)?.namespace].filter((n) => n !== undefined).sort();
      expect(consumers, env.name).toEqual(env.name === 'lab' ? ['tailscale'] : ['twingate']);
      expect(store.spec.conditions).toEqual([{ namespaces: consumers }]);
      expect(env.namespacesRequiring['external-secrets']).toEqual(consumers);
      expect(store.metadata.annotations).toMatchObject({
        'argocd.argoproj.io/sync-wave': '1',
        'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
      });
      const secrets = objects.filter((o) => o.kind === 'ExternalSecret');
      expect(secrets.length).toBeGreaterThan(0);
      for (const es of secrets) {
        expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: store.metadata.name });
        expect(store.spec.conditions[0].namespaces).toContain(es.metadata.namespace);
      }
      // Every consumer's store setting defaults to the provided store.
      const settings = [maybeTwingate(env)?.secrets.store, maybeTailscale(env)?.secrets.store].filter((s) => s !== undefined);
      expect(settings.length, env.name).toBeGreaterThan(0);
      for (const s of settings) expect(s).toBe(AWS_SECRET_STORE);
    }
  });

  it('declares its flows: to the API server, the API server to the webhook, AWS endpoints and the Pod Identity agent', () => {
    for (const env of envs) {
      const flows = env.flows.filter((f) => f.origin === 'external-secrets');
      const text = flows.map((f) => `${JSON.stringify(f.from)} -> ${JSON.stringify(f.to)} : ${f.ports.port}`);
      for (const w of ['controller', 'webhook', 'cert-controller'])
        expect(text).toContain(`"external-secrets/${w}" -> {"cidr":"172.20.0.1/32","except":[]} : 443`);
      expect(text).toContain('"external-secrets/controller" -> {"cidr":"169.254.170.23/32","except":[]} : 80');
      const aws = flows.filter((f) => f.from === 'external-secrets/controller' && f.description?.includes('Secrets Manager'));
      const webhook = flows.filter((f) => f.to === 'external-secrets/webhook');
      for (const f of webhook) expect(f.ports).toEqual({ protocol: 'TCP', port: WEBHOOK_PORT });
      if (env.infra) {
        // Secrets Manager and STS through the interface endpoints in the private subnets, one flow per zone.
        expect(aws.length, env.name).toBe(env.infra.availabilityZones);
        for (const f of aws) expect(f.ports.port).toBe(443);
        expect(webhook.length, env.name).toBe(env.infra.availabilityZones);
      } else {
        // No subnet layout (lab): the endpoints and the API server are somewhere in the VPC, which the API server flow already allows.
        expect(aws, env.name).toEqual([]);
        expect(text).toContain(`"external-secrets/controller" -> {"cidr":"${env.network.vpcCidr}","except":[]} : 443`);
        expect(
          webhook.map((f) => f.from),
          env.name,
        ).toEqual([{ cidr: env.network.vpcCidr, except: [] }]);
      }
    }
  });

  it('without an infra block, the AWS endpoints are the VPC, which the API server flow already covers: no duplicate', () => {
    const r = validate(baseInput());
    expect('env' in r).toBe(true);
    const env = (r as { env: Environment }).env;
    const flows = env.flows.filter((f) => f.origin === 'external-secrets' && f.from === 'external-secrets/controller');
    expect(flows.map((f) => (typeof f.to === 'string' ? f.to : f.to.cidr))).toEqual(['172.20.0.1/32', '10.30.0.0/16', '169.254.170.23/32']);
  });

  it('consumers of secrets require it: one line naming the field', () => {
    expect(validate(baseInput({ components: ['network-policy', 'cert-manager', 'twingate-operator', 'twingate-access-gateway'] }))).toEqual({
      problem: { path: 'components[2]', message: '"twingate-operator" needs "external-secrets"' },
    });
    expect(validate(baseInput({ twingate: { network: 'acme', secrets: { region: 'eu-west-1' } } as never }))).toEqual({
      problem: { path: 'twingate.secrets', message: 'unknown field "region"' },
    });
  });
});
