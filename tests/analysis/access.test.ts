import { describe, expect, it } from 'vitest';
import { accessFile } from '../../analysis/access';
import { checkIntent } from '../../analysis/intent';
import { loadEnvironment } from '../../lib/load';
import { renderEnvironment } from '../../lib/synth';

async function render(name: string) {
  const env = await loadEnvironment(name);
  return accessFile(
    env,
    checkIntent(
      env,
      renderEnvironment(env).flatMap((c) => c.objects),
    ),
  );
}

describe('ACCESS.md', () => {
  it('is written per environment, deterministically', async () => {
    const a = await render('prod');
    const b = await render('prod');
    expect(a.path).toBe('prod/ACCESS.md');
    expect(a.content).toBe(b.content);
  });

  it('has the connectivity matrix of the in-scope connections', async () => {
    const lines = (await render('dev')).content.split('\n');
    const header = lines.find((l) => l.startsWith('| from \\ to |'))!;
    const columns = header.split(' | ').slice(1);
    // Two external columns: the internet minus private ranges (connector), and the same plus
    // the VPC and the kubernetes Service IP (gateway and operator reach the API server).
    expect(columns.slice(2)).toEqual(['kube-system/coredns[Deployment]', 'twingate/twingate-gateway[Deployment]', 'whoami/whoami[Deployment] |']);
    expect(columns[0]).toContain('10.10.0.0-10.10.255.255');
    expect(columns[0]).toContain('172.20.0.1-172.20.0.1');
    expect(columns[1]).toBe('0.0.0.0-9.255.255.255,11.0.0.0-169.253.255.255,169.255.0.0-172.15.255.255,172.32.0.0-192.167.255.255,192.169.0.0-255.255.255.255');
    expect(lines).toContain('| twingate/connector[Pod] |  | TCP 443,TCP 30000-31000 | TCP 53,UDP 53 | TCP 8443 | TCP 8080 |');
    expect(lines).toContain('| twingate/twingate-gateway[Deployment] | TCP 443 |  | TCP 53,UDP 53 |  |  |');
    expect(lines).toContain('| whoami/whoami[Deployment] |  |  | TCP 53,UDP 53 |  |  |');
  });

  it('has a Mermaid flowchart with namespaces as subgraphs', async () => {
    const content = (await render('dev')).content;
    const chart = content.slice(content.indexOf('```mermaid'), content.indexOf('```', content.indexOf('```mermaid') + 3));
    expect(chart).toContain('flowchart LR');
    expect(chart).toContain('subgraph ns1["namespace twingate"]');
    expect(chart).toContain('subgraph ns2["namespace whoami"]');
    expect(chart).toContain('n6["whoami[Deployment]"]');
    expect(chart).toContain('n3 -->|"TCP 8080"| n6');
    expect(chart).toContain('n3 -->|"TCP 8443"| n4');
    expect(chart.match(/-->/g)).toHaveLength(9);
  });

  it('has the identity view: group -> resources -> ClusterRole via the access gateway', async () => {
    const lines = (await render('prod')).content.split('\n');
    expect(lines).toContain('| Engineering | whoami (whoami/whoami) | view |');
    expect(lines).toContain('| SRE On-Call | whoami (whoami/whoami) | edit |');
    expect(lines).toContain('| Platform Admins | whoami (whoami/whoami) | admin |');
    expect(lines).toContain('  g2 -->|access gateway| k_edit["ClusterRole edit"]');
  });

  it('shows a declared group without an access row as reaching nothing', async () => {
    const env = await loadEnvironment('dev');
    const file = accessFile(
      { ...env, groups: [...env.groups, 'Contractors'] },
      checkIntent(
        env,
        renderEnvironment(env).flatMap((c) => c.objects),
      ),
    );
    const rows = file.content.split('\n').filter((l) => /^\| (Contractors|Engineering|Platform Admins) \|/.test(l));
    expect(rows).toEqual([
      '| Contractors | none | none |',
      '| Engineering | whoami (whoami/whoami) | edit |',
      '| Platform Admins | whoami (whoami/whoami) | cluster-admin |',
    ]);
  });

  it('lists the blocked paths it proved closed', async () => {
    const lines = (await render('staging')).content.split('\n');
    expect(lines).toContain('| whoami/whoami | twingate/connector | apps never call back into the access path |');
  });
});
