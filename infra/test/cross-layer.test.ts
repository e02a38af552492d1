/**
 * One environment definition drives both layers: a network change made in one place reaches
 * the VPC and the EKS cluster (infra) and the rendered NetworkPolicies (charts).
 */
// First: installs the Pulumi mocks before the program's modules load.
import { build } from './harness';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as aws from '@pulumi/aws';
import { contains, parseCidr } from '../../lib/cidr';
import { validateEnvironment } from '../../lib/environment';
import { DEFAULT_ENVIRONMENTS_DIR, REPO_ROOT, loadEnvironment } from '../../lib/load';
import { renderEnvironment } from '../../lib/synth';

/**
 * The dev environment with its network changed in the one place it is written: the
 * `network` constant of environments/dev.ts, edited as text in a copy of environments/ (the
 * copy sits in the repository so that its relative imports still resolve).
 */
async function withNetwork(network: { vpcCidr: string; podCidr: string; serviceCidr: string }) {
  const dir = mkdtempSync(join(REPO_ROOT, '.envs-'));
  try {
    cpSync(DEFAULT_ENVIRONMENTS_DIR, dir, { recursive: true });
    const file = join(dir, 'dev.ts');
    const source = readFileSync(file, 'utf8');
    const line = /^const network = \{[^\n]*\};$/m;
    expect(source).toMatch(line);
    writeFileSync(file, source.replace(line, `const network = ${JSON.stringify(network)};`));
    return await loadEnvironment('dev', dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('one definition, both layers', () => {
  it('a changed VPC CIDR reaches the VPC, its subnets, the outputs and the NetworkPolicies', async () => {
    const network = { vpcCidr: '10.99.0.0/16', podCidr: '10.99.0.0/16', serviceCidr: '172.31.0.0/16' };
    const env = await withNetwork(network);

    const infra = await build(env);
    expect(infra.one(aws.ec2.Vpc, 'vpc').inputs.cidrBlock).toBe('10.99.0.0/16');
    for (const s of infra.of(aws.ec2.Subnet)) expect(contains(parseCidr('10.99.0.0/16')!, parseCidr(s.inputs.cidrBlock)!)).toBe(true);
    expect(infra.one(aws.eks.Cluster, 'cluster').inputs.kubernetesNetworkConfig.serviceIpv4Cidr).toBe('172.31.0.0/16');
    expect(infra.outputs.network).toMatchObject(network);

    const policies = renderEnvironment(env)
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'NetworkPolicy');
    const blocks = policies.flatMap((p) => ((p.spec as { egress?: { to?: { ipBlock?: { cidr: string } }[] }[] }).egress ?? []).flatMap((e) => e.to ?? []).map((t) => t.ipBlock?.cidr));
    expect(blocks).toContain('10.99.0.0/16');
    expect(JSON.stringify(policies)).not.toContain('10.10.0.0/16'); // dev's old VPC is gone everywhere
  });
});

describe('secret names are shared, not copied', () => {
  it('a Secrets Manager path overridden in the environment moves both the secret and the ExternalSecret reading it', async () => {
    const dev = await loadEnvironment('dev');
    const custom = 'acme/dev/twingate-operator-key';
    // Another name than dev: the mock harness records resources per environment name.
    const result = validateEnvironment({ ...dev, name: 'qa', twingate: { ...dev.twingate!, secrets: { ...dev.twingate!.secrets, apiKeyPath: custom } } });
    if ('problem' in result) throw new Error(`${result.problem.path}: ${result.problem.message}`);
    const env = result.env;

    const infra = await build(env);
    const names = infra.of(aws.secretsmanager.Secret).map((s) => s.inputs.name);
    expect(names).toContain(custom);
    expect(names).toContain('zt-eks/qa/twingate/remote-network-id');
    expect(names).not.toContain('zt-eks/qa/twingate/api-key');

    const externalSecrets = renderEnvironment(env)
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'ExternalSecret');
    const keys = externalSecrets.flatMap((o) => ((o.spec as { data?: { remoteRef: { key: string } }[] }).data ?? []).map((d) => d.remoteRef.key));
    expect(keys).toContain(custom);
    // Every key an ExternalSecret reads is a secret infra creates.
    for (const k of keys) expect(names).toContain(k);
  });
});
