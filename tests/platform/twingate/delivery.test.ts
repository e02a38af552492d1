/**
 * How the Twingate components reach a cluster: which components each environment renders,
 * their Helm sources, sync waves for a one-sync fresh install, and kubeconform strict over the
 * committed dist/ with the upstream CRD schemas.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as validate } from '../../../lib/cli/validate';
import { loadEnvironments, REPO_ROOT } from '../../../lib/load';
import { helmSource, renderEnvironment } from '../../../lib/synth';
import { platformComponent } from '../../../platform/registry';
import { SKIP_DRY_RUN, SYNC_OPTIONS_ANNOTATION, SYNC_WAVE_ANNOTATION } from '../../../platform/shared/sync-waves';
import { KUBECONFORM_SCHEMAS, skipWithoutKubeconform } from '../../support';
import { twingateEnvironments } from '../../support/twingate';

const SCHEMAS = KUBECONFORM_SCHEMAS;
const CORE_GROUPS = /^(v1|apps\/v1|rbac\.authorization\.k8s\.io\/v1|networking\.k8s\.io\/v1|apiextensions\.k8s\.io\/v1|policy\/v1)$/;

describe('Twingate delivery', () => {
  it('operator and gateway render in every environment, the chart connector in staging only', async () => {
    for (const env of await twingateEnvironments()) {
      const names = renderEnvironment(env).map((c) => c.component);
      expect(names).toEqual(expect.arrayContaining(['twingate-operator', 'twingate-access-gateway']));
      expect(names.includes('twingate-connector')).toBe(env.name === 'staging');
      const connectors = renderEnvironment(env)
        .find((c) => c.component === 'twingate-operator')!
        .objects.filter((o) => o.kind === 'TwingateConnector');
      expect(connectors).toHaveLength({ dev: 1, staging: 0, prod: 2, urlshort: 1, 'lattice-cluster1': 1, 'lattice-cluster2': 1 }[env.name]!);
    }
  });

  it('Helm sources: pinned upstream charts, namespace, and order after the operator', async () => {
    const [prod] = await loadEnvironments(undefined, ['prod']);
    const op = platformComponent('twingate-operator');
    const gw = platformComponent('twingate-access-gateway');
    const cn = platformComponent('twingate-connector');
    expect(helmSource(prod!, op)!).toMatchObject({
      repository: 'oci://ghcr.io/twingate/helmcharts',
      chart: 'twingate-operator',
      version: '2.0.0',
      releaseName: 'twingate-operator',
    });
    expect(helmSource(prod!, gw)!).toMatchObject({ repository: 'oci://ghcr.io/twingate/helmcharts', chart: 'gateway', version: '1.0.0' });
    expect(helmSource(prod!, cn)!).toMatchObject({ repository: 'https://twingate.github.io/helm-charts', chart: 'connector', version: '0.1.35' });
    for (const c of [op, gw, cn]) expect(c.namespace!(prod!)).toBe('twingate');
    // Their Applications sync after the operator's: the order derives from requires (argocd/order.ts).
    expect(gw.requires).toContain('twingate-operator');
    expect(cn.requires).toContain('twingate-operator');
  });

  it('custom resources sync in waves with SkipDryRunOnMissingResource', async () => {
    for (const env of await twingateEnvironments()) {
      for (const c of renderEnvironment(env).filter((x) => x.component.startsWith('twingate-'))) {
        for (const o of c.objects) {
          const annotations = (o.metadata.annotations ?? {}) as Record<string, string>;
          if (CORE_GROUPS.test(o.apiVersion)) continue;
          const where = `${env.name}/${c.component}/${o.kind}/${o.metadata.name}`;
          expect(annotations[SYNC_OPTIONS_ANNOTATION], where).toBe(SKIP_DRY_RUN);
          const wave = Number(annotations[SYNC_WAVE_ANNOTATION]);
          if (o.apiVersion.startsWith('twingate.com/'))
            expect(wave, where).toBeGreaterThan(0); // after the operator and its CRDs
          else expect(wave, where).toBeLessThan(0); // secrets and certificates before the pods that mount them
        }
      }
    }
  });

  it.skipIf(skipWithoutKubeconform)('kubeconform -strict passes on dist/ (1.28 and newest, CRDs included)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await validate([join(REPO_ROOT, 'dist'), '--schemas', SCHEMAS], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(
      err.filter((l) => !l.startsWith('Summary')),
      err.join('\n'),
    ).toEqual([]);
    expect(code).toBe(0);
    expect(out.filter((l) => /: ok \(/.test(l))).toHaveLength(2);
  });
});
