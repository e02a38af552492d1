/**
 * The argo-cd component: Argo CD from the pinned chart, in the configured namespace, with the
 * Application health check, nothing exposed, no secret value, the chart's NetworkPolicies off
 * and its flows declared (and proven by synth's intent check).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkIntent } from '../../analysis/intent';
import argoConfig from '../../argocd/config';
import { gitHost, parseArgoConfig } from '../../argocd/settings';
import { describeFlow, type Environment } from '../../lib/environment';
import { UserError } from '../../lib/errors';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';
import { APPLICATION_HEALTH_KEY, APPLICATION_HEALTH_LUA, ARGO_CD_COMPONENT, argoCdComponent } from '../../platform/argo-cd';
import { POD_SECURITY_LEVEL } from '../../platform/namespaces';
import { probePlan } from '../../platform/probes/plan';
import { platformComponent } from '../../platform/registry';
import { environments } from '../support';

let envs: Environment[];
const rendered = new Map<string, ApiObject[]>();

beforeAll(async () => {
  envs = await environments();
  for (const env of envs)
    rendered.set(
      env.name,
      renderEnvironment(env).flatMap((c) => (c.component === ARGO_CD_COMPONENT ? c.objects : [])),
    );
});

const objectsOf = (env: Environment) => rendered.get(env.name)!;
const find = (env: Environment, kind: string, name: string) => objectsOf(env).find((o) => o.kind === kind && o.metadata.name === name);

describe('argo-cd', () => {
  it('renders the pinned chart into the namespace of argocd/config.ts in every environment', () => {
    const config = parseArgoConfig(argoConfig);
    for (const env of envs) {
      expect(env.components).toContain(ARGO_CD_COMPONENT);
      const c = platformComponent(ARGO_CD_COMPONENT);
      expect(c.namespace!(env)).toBe(config.namespace);
      expect(c.chart).toMatchObject({ chart: 'argo-cd', version: '10.1.1', repository: 'https://argoproj.github.io/argo-helm' });
      const namespaced = objectsOf(env).filter((o) => o.metadata.namespace);
      expect(namespaced.length).toBeGreaterThan(20);
      expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set([config.namespace]));
      // Its CRDs are too large for client-side apply: its Application applies server-side.
      const crds = objectsOf(env)
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => o.metadata.name);
      expect(crds.sort()).toEqual(['applications.argoproj.io', 'applicationsets.argoproj.io', 'appprojects.argoproj.io']);
      const meta = renderEnvironment(env).find((x) => x.component === ARGO_CD_COMPONENT)!.metadata;
      expect(meta.syncOptions).toContain('ServerSideApply=true');
      expect(meta.project).toBe(`${env.name}-platform`);
    }
  });

  it('puts the Application health check into argocd-cm, as the Argo CD docs give it', () => {
    for (const env of envs) {
      const cm = find(env, 'ConfigMap', 'argocd-cm') as ApiObject & { data: Record<string, string> };
      expect(cm.data[APPLICATION_HEALTH_KEY]).toBe(APPLICATION_HEALTH_LUA);
      expect(APPLICATION_HEALTH_KEY).toBe('resource.customizations.health.argoproj.io_Application');
      expect(APPLICATION_HEALTH_LUA).toContain('hs.status = obj.status.health.status');
      expect(cm.data['exec.enabled']).toBe('false');
    }
  });

  it('exposes nothing beyond ClusterIP, runs no Dex, notifications or commit server, and renders no chart NetworkPolicy', () => {
    for (const env of envs) {
      const objects = objectsOf(env);
      const services = objects.filter((o) => o.kind === 'Service') as (ApiObject & { spec: { type?: string } })[];
      expect(services.map((s) => s.metadata.name).sort()).toEqual(['argocd-applicationset-controller', 'argocd-redis', 'argocd-repo-server', 'argocd-server']);
      for (const s of services) expect(s.spec.type ?? 'ClusterIP').toBe('ClusterIP');
      expect(objects.filter((o) => ['Ingress', 'HTTPRoute', 'GRPCRoute', 'NetworkPolicy'].includes(o.kind))).toEqual([]);
      expect(objects.filter((o) => /dex|notifications|commit-server/.test(o.metadata.name))).toEqual([]);
    }
  });

  it('keeps every secret value out of git: argocd-secret has no data, the Redis password comes from the hook Job', () => {
    for (const env of envs) {
      const secrets = objectsOf(env).filter((o) => o.kind === 'Secret') as (ApiObject & { data?: unknown; stringData?: unknown })[];
      expect(secrets.map((s) => s.metadata.name)).toEqual(['argocd-secret']);
      expect(secrets[0]!.data).toBeUndefined();
      expect(secrets[0]!.stringData).toBeUndefined();
      const job = find(env, 'Job', 'argocd-redis-secret-init')!;
      // A Helm hook in the chart: Argo CD runs it as a PreSync hook of the argo-cd Application.
      expect((job.metadata.annotations as Record<string, string>)['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    }
  });

  it('runs in a namespace the namespaces component renders with Pod Security restricted', () => {
    for (const env of envs) {
      const ns = renderEnvironment(env)
        .find((c) => c.component === 'namespaces')!
        .objects.find((o) => o.kind === 'Namespace' && o.metadata.name === platformComponent(ARGO_CD_COMPONENT).namespace!(env));
      expect((ns?.metadata.labels as Record<string, string> | undefined)?.['pod-security.kubernetes.io/enforce']).toBe(POD_SECURITY_LEVEL);
    }
  });

  it('declares its flows: API server, the Git host, repo-server and Redis; synth proves them', () => {
    for (const env of envs) {
      const flows = env.flows.filter((f) => f.origin === ARGO_CD_COMPONENT).map(describeFlow);
      const api = env.flows.filter((f) => f.origin === ARGO_CD_COMPONENT && f.ports.port === 443 && typeof f.to !== 'string' && !f.to.except.length);
      expect(new Set(api.map((f) => f.from))).toEqual(
        new Set(['argocd/application-controller', 'argocd/applicationset-controller', 'argocd/server', 'argocd/redis-secret-init']),
      );
      expect(flows).toEqual(
        expect.arrayContaining([
          'argocd/repo-server -> 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16 : 443',
          'argocd/application-controller -> argocd/repo-server : repo-server',
          'argocd/server -> argocd/repo-server : repo-server',
          'argocd/applicationset-controller -> argocd/repo-server : repo-server',
          'argocd/application-controller -> argocd/redis : redis',
          'argocd/server -> argocd/redis : redis',
          'argocd/repo-server -> argocd/redis : redis',
        ]),
      );
      // The intent proof over everything the environment renders: throws on a flow not allowed or an allow not declared.
      expect(() =>
        checkIntent(
          env,
          renderEnvironment(env).flatMap((c) => c.objects),
        ),
      ).not.toThrow();
    }
  });

  it('reaches the Git host on the port its URL implies', () => {
    expect(gitHost('https://github.com/acme/zt.git')).toEqual({ host: 'github.com', port: 443, scheme: 'https' });
    expect(gitHost('https://git.example.com:8443/acme/zt.git')).toEqual({ host: 'git.example.com', port: 8443, scheme: 'https' });
    expect(gitHost('ssh://git@git.example.com/acme/zt.git')).toEqual({ host: 'git.example.com', port: 22, scheme: 'ssh' });
    expect(gitHost('git@github.com:acme/zt.git')).toEqual({ host: 'github.com', port: 22, scheme: 'ssh' });
    const dev = envs.find((e) => e.name === 'dev')!;
    const ssh = argoCdComponent(() => ({ namespace: 'gitops', git: gitHost('git@github.com:acme/zt.git') }));
    const toGit = ssh.flows(dev).filter((f) => f.from === 'gitops/repo-server' && typeof f.to !== 'string');
    expect(toGit.map((f) => [f.port, f.description])).toEqual([[22, 'Argo CD repo-server to the Git host github.com (ssh)']]);
    expect(ssh.namespace()).toBe('gitops');
  });

  it('is probed like any component when the environment switches probes on', () => {
    const staging = envs.find((e) => e.name === 'staging')!;
    const fromArgo = probePlan(staging).probes.filter((p) => p.source.namespace === 'argocd' && p.expect === 'connect');
    expect(new Set(fromArgo.map((p) => `${p.source.name}:${p.port}`))).toEqual(
      new Set([
        'application-controller:443',
        'applicationset-controller:443',
        'server:443',
        'redis-secret-init:443',
        'repo-server:443',
        'application-controller:8081',
        'server:8081',
        'applicationset-controller:8081',
        'application-controller:6379',
        'server:6379',
        'repo-server:6379',
      ]),
    );
  });

  it('refuses a broken argocd/config.ts in one line naming the file and field', () => {
    expect(() => parseArgoConfig({ repoURL: 'nope', targetRevision: 'main' })).toThrow(UserError);
    expect(() => parseArgoConfig({ repoURL: 'nope', targetRevision: 'main' })).toThrow(/^argocd\/config\.ts: repoURL: "nope" is not a git repository URL/);
  });
});
