/**
 * The install order: each child Application's sync wave is its depth in the dependency graph
 * (requires plus stages), a consumer always after what it requires, and a cycle a one-line error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SYNC_WAVE } from '../../argocd/applicationset';
import { orderComponents } from '../../argocd/order';
import { type ArgoConfig, loadArgoConfig } from '../../argocd/settings';
import { type Component, STAGES } from '../../lib/component';
import type { Environment } from '../../lib/environment';
import { UserError } from '../../lib/errors';
import { synthesize } from '../../lib/synth';
import { componentsFor } from '../../platform/registry';
import { clusters, delivered, loadEnvs, realTree } from '../support/argocd';

let envs: Environment[];
let cfg: ArgoConfig;

beforeAll(async () => {
  envs = await loadEnvs();
  cfg = await loadArgoConfig(envs.map((e) => e.name));
});

/** Waves of the committed child Applications of one environment, by component. */
function committedWaves(env: Environment): Map<string, number> {
  const { children } = delivered(realTree(), clusters(envs, cfg));
  return new Map(
    children
      .filter((c) => c.spec.destination.name === env.cluster.name)
      .map((c) => [String(c.spec.source.path).split('/')[2]!, Number(c.metadata.annotations[SYNC_WAVE])] as const),
  );
}

/**
 * Longest-path depth by relaxation (not the renderer's depth-first search): start every
 * component at 0 and raise it above each dependency until nothing changes.
 */
function depthByRelaxation(env: Environment): Map<string, number> {
  const comps = componentsFor(env).map((c) => ({
    name: c.name,
    requires: c.requires ?? [],
    rank: STAGES.indexOf(Object.hasOwn(env.apps, c.name) ? 'apps' : (c.stage ?? 'platform')),
  }));
  const names = new Set(comps.map((c) => c.name));
  const depth = new Map(comps.map((c) => [c.name, 0]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of comps) {
      const deps = [...c.requires.filter((r) => names.has(r)), ...comps.filter((o) => o.rank < c.rank).map((o) => o.name)];
      const d = Math.max(0, ...deps.map((x) => depth.get(x)! + 1));
      if (d !== depth.get(c.name)) {
        depth.set(c.name, d);
        changed = true;
      }
    }
  }
  return depth;
}

describe('sync waves of the committed child Applications', () => {
  it('equal the depth in the dependency graph, in every environment', () => {
    for (const env of envs) expect(committedWaves(env), env.name).toEqual(depthByRelaxation(env));
  });

  it('put a consumer after each component it requires, and every stage after the ones before', () => {
    for (const env of envs) {
      const waves = committedWaves(env);
      const comps = componentsFor(env);
      let edges = 0;
      for (const c of comps) {
        for (const r of c.requires ?? []) {
          expect(waves.get(c.name)!, `${env.name}: ${c.name} after ${r}`).toBeGreaterThan(waves.get(r)!);
          edges++;
        }
      }
      expect(edges).toBeGreaterThan(0);
      // Apps after every platform component but the verification stage, which comes last.
      const apps = Object.keys(env.apps);
      const platform = comps.filter((c) => !apps.includes(c.name) && c.stage !== 'verification').map((c) => c.name);
      for (const a of apps) for (const p of platform) expect(waves.get(a)!, `${a} after ${p}`).toBeGreaterThan(waves.get(p)!);
    }
  });

  it('are, for staging: foundation first, the prerequisites, the operator before what it serves, apps, then the probes', () => {
    const staging = envs.find((e) => e.name === 'staging')!;
    expect(Object.fromEntries(committedWaves(staging))).toEqual({
      'admission-policies': 0,
      namespaces: 0,
      'network-policy': 1,
      'argo-cd': 2,
      'cert-manager': 2,
      'external-secrets': 2,
      'twingate-operator': 3,
      'twingate-access-gateway': 4,
      'twingate-connector': 4,
      whoami: 5,
      'network-probes': 6,
    });
  });

  it('are, for urlshort: the SPIRE CRDs in the platform stage, spire after them (it requires them), the apps after both', () => {
    const urlshort = envs.find((e) => e.name === 'urlshort')!;
    expect(Object.fromEntries(committedWaves(urlshort))).toEqual({
      'admission-policies': 0,
      namespaces: 0,
      'network-policy': 1,
      'argo-cd': 2,
      'cert-manager': 2,
      'external-secrets': 2,
      'spire-crds': 2,
      spire: 3,
      'twingate-operator': 3,
      'twingate-access-gateway': 4,
      'api-gateway': 5,
      frontend: 5,
      'url-service': 5,
      worker: 5,
    });
  });
});

describe('orderComponents', () => {
  const c = (name: string, requires: string[] = [], stage: 'foundation' | 'platform' | 'apps' | 'verification' = 'platform') => ({ name, requires, stage });

  it('derives depth from requires and stages, ignoring requires of components not rendered', () => {
    const order = orderComponents('dev', [c('b', ['a']), c('a', ['gone']), c('ns', [], 'foundation'), c('app', [], 'apps'), c('check', [], 'verification')]);
    expect(order.map((o) => [o.name, o.wave, o.dependsOn])).toEqual([
      ['a', 1, ['ns']],
      ['app', 3, ['a', 'b', 'ns']],
      ['b', 2, ['a', 'ns']],
      ['check', 4, ['a', 'app', 'b', 'ns']],
      ['ns', 0, []],
    ]);
  });

  it('refuses a requires cycle in one line naming it', () => {
    const run = () => orderComponents('dev', [c('a', ['b']), c('b', ['c']), c('c', ['a'])]);
    expect(run).toThrow(UserError);
    expect(run).toThrow(
      'environment dev: component dependencies form a cycle: a -> b -> c -> a (each name depends on the next: requires, or a stage after another in foundation, platform, apps, verification)',
    );
  });

  it('stops synth before anything is written: a component and an app requiring each other', () => {
    const dev = envs.find((e) => e.name === 'dev')!;
    const loop: Component = { name: 'loop', requires: ['whoami'], stage: 'foundation', render() {} };
    expect(() => synthesize([dev], { argocd: cfg, componentsFor: (e) => [...componentsFor(e), loop] })).toThrow(
      'environment dev: component dependencies form a cycle: argo-cd -> loop -> whoami -> argo-cd (each name depends on the next: requires, or a stage after another in foundation, platform, apps, verification)',
    );
  });

  it('refuses a foundation component that requires a later stage', () => {
    expect(() => orderComponents('prod', [c('namespaces', ['operator'], 'foundation'), c('operator')])).toThrow(
      'environment prod: component dependencies form a cycle: namespaces -> operator -> namespaces (each name depends on the next: requires, or a stage after another in foundation, platform, apps, verification)',
    );
  });
});
