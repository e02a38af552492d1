/**
 * Mutation tests through the real `pnpm synth` entry point: the network-policy component is
 * wrapped so that it drops one of its allows, or adds one, and synth must fail with the exact
 * one-line message and write nothing.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/synth';

const mutation: { drop?: string; add?: (chart: Chart) => void } = {};

vi.mock('../../platform/registry', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../platform/registry')>();
  return {
    ...orig,
    componentsFor: (env: Parameters<typeof orig.componentsFor>[0]) =>
      orig.componentsFor(env).map((c) =>
        c.name !== 'network-policy'
          ? c
          : {
              ...c,
              render(chart: Chart, e: typeof env) {
                c.render(chart, e);
                if (mutation.drop && !chart.node.tryRemoveChild(mutation.drop)) throw new Error(`test: no construct ${mutation.drop}`);
                mutation.add?.(chart);
              },
            },
      ),
  };
});

const port = (n: number) => ({ port: k8s.IntOrString.fromNumber(n) });
const nsPeer = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
function extra(chart: Chart, namespace: string, spec: Omit<k8s.NetworkPolicySpec, 'podSelector'>) {
  new k8s.KubeNetworkPolicy(chart, `extra-${namespace}`, { metadata: { name: 'extra', namespace }, spec: { podSelector: {}, ...spec } });
}

async function synthDev() {
  const out = join(mkdtempSync(join(tmpdir(), 'mutation-')), 'dist');
  const err: string[] = [];
  const code = await main(['--env', 'dev', '--out', out], { out: () => {}, err: (l) => err.push(l) });
  return { code, err, written: existsSync(out) };
}

afterEach(() => {
  delete mutation.drop;
  delete mutation.add;
});

describe('synth fails on a mutated network-policy component', () => {
  it('unmutated: passes and writes', async () => {
    expect(await synthDev()).toEqual({ code: 0, err: [], written: true });
  });

  it.each([
    ['ingress', 'whoami-allow-ingress-whoami-whoami-from-twingate-connector-tcp-8080'],
    ['egress', 'twingate-allow-egress-twingate-connector-to-whoami-whoami-tcp-8080'],
  ])("a flow's %s allow missing", async (_, construct) => {
    mutation.drop = construct;
    expect(await synthDev()).toEqual({
      code: 1,
      err: [
        'error: environment dev: flows[0]: twingate/connector -> whoami/whoami : TCP 8080 is blocked (twingate/connector[Pod] => whoami/whoami[Deployment] lacks it)',
      ],
      written: false,
    });
  });

  it('an extra ingress allow only (the source side still denies): nothing opens, synth passes', async () => {
    mutation.add = (chart) => extra(chart, 'twingate', { policyTypes: ['Ingress'], ingress: [{ from: [nsPeer('whoami')], ports: [port(9999)] }] });
    expect(await synthDev()).toEqual({ code: 0, err: [], written: true });
  });

  it('extra allows on both sides that open a declared-blocked path', async () => {
    mutation.add = (chart) => {
      extra(chart, 'twingate', { policyTypes: ['Ingress'], ingress: [{ from: [nsPeer('whoami')], ports: [port(9999)] }] });
      extra(chart, 'whoami', { policyTypes: ['Egress'], egress: [{ to: [nsPeer('twingate')], ports: [port(9999)] }] });
    };
    expect(await synthDev()).toEqual({
      code: 1,
      err: [
        'error: environment dev: blocked[1]: whoami/whoami -> twingate/connector is open (whoami/whoami[Deployment] => twingate/connector[Pod] : TCP 9999)',
      ],
      written: false,
    });
  });

  it('an extra ingress allow from a namespace the platform does not own', async () => {
    mutation.add = (chart) => extra(chart, 'whoami', { policyTypes: ['Ingress'], ingress: [{ from: [nsPeer('kube-system')], ports: [port(9999)] }] });
    expect(await synthDev()).toEqual({
      code: 1,
      err: [
        'error: environment dev: flows: the rendered NetworkPolicies allow kube-system/coredns[Deployment] => whoami/whoami[Deployment] : TCP 9999 which no flow declares',
      ],
      written: false,
    });
  });

  it('an extra allow on a path nothing declares blocked', async () => {
    mutation.add = (chart) =>
      extra(chart, 'twingate', { policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.10.0.0/16' } }], ports: [port(5432)] }] });
    expect(await synthDev()).toEqual({
      code: 1,
      err: [
        'error: environment dev: flows: the rendered NetworkPolicies allow twingate/connector[Pod] => 10.10.0.0-10.10.63.255 : TCP 5432 which no flow declares',
      ],
      written: false,
    });
  });
});
