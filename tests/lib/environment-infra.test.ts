import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile, loadEnvironments } from '../../lib/load';
import { type EnvironmentInput, validate } from '../../platform/registry';

const base: EnvironmentInput = {
  name: 'dev',
  aws: { region: 'eu-west-2' },
  cluster: { name: 'dev-eu', kubernetesVersion: '1.31' },
  network: { vpcCidr: '10.10.0.0/16', podCidr: '10.10.0.0/16', serviceCidr: '172.20.0.0/16' },
  namespaces: ['whoami'],
};

/** A valid bootstrap block (an obvious fake account). */
const bootstrap = { roleArn: 'arn:aws:iam::111122223333:role/bootstrap', twingateGroup: 'Platform Admins' };

const problem = (infra: unknown) => {
  const r = validate({ ...base, groups: ['Platform Admins'], infra });
  return 'problem' in r ? `${r.problem.path}: ${r.problem.message}` : undefined;
};

describe('environment infra block', () => {
  it('is optional, and fills defaults when present', () => {
    const without = validate(base);
    expect('env' in without && without.env.infra).toBeUndefined();
    const r = validate({ ...base, groups: ['Platform Admins'], infra: { owner: 'team-a', nodes: { instanceTypes: ['m7i.large'] }, bootstrap } });
    if (!('env' in r)) throw new Error(r.problem.message);
    expect(r.env.infra).toEqual({
      owner: 'team-a',
      availabilityZones: 3,
      natPerZone: false,
      nodes: { instanceTypes: ['m7i.large'], min: 2, desired: 2, max: 4, diskGiB: 50 },
      adminRoleArns: [],
      bootstrap,
      connectors: { ec2: 1, ec2InstanceType: 't3.micro' },
      logRetentionDays: 90,
    });
  });

  it.each([
    [{ owner: 'a', bootstrap, nodes: { instanceTypes: ['m7i.large'], min: 1, desired: 5, max: 3 } }, 'infra.nodes.desired: 5 is not between min 1 and max 3'],
    [{ owner: 'a', bootstrap, nodes: { instanceTypes: ['m7i.large'], min: 4, desired: 4, max: 3 } }, 'infra.nodes.min: 4 is above max 3'],
    [{ owner: 'a', bootstrap, nodes: { instanceTypes: ['large'] } }, 'infra.nodes.instanceTypes[0]: "large" is not an EC2 instance type like "m7i.large"'],
    [
      { owner: 'a', bootstrap, nodes: { instanceTypes: ['m7i.large'] }, adminRoleArns: ['arn:aws:iam::12:role/x'] },
      'infra.adminRoleArns[0]: "arn:aws:iam::12:role/x" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    ],
    [{ owner: 'a', bootstrap, nodes: { instanceTypes: ['m7i.large'] }, availabilityZones: 1 }, 'infra.availabilityZones: 1 is not a whole number from 2 to 6'],
    [{ owner: 'a', bootstrap, nodes: { instanceTypes: ['m7i.large'] }, logRetentionDays: 7 }, 'infra.logRetentionDays: 7 is not one of 30, 90, 180, 365'],
    [{ owner: 'a', bootstrap, nodes: { instanceTypes: ['m7i.large'] }, nodeCount: 3 }, 'infra: unknown field "nodeCount"'],
    [{ bootstrap, nodes: { instanceTypes: ['m7i.large'] } }, 'infra.owner: is required'],
    [{ owner: 'a', nodes: { instanceTypes: ['m7i.large'] } }, 'infra.bootstrap: is required'],
    [{ owner: 'a', nodes: { instanceTypes: ['m7i.large'] }, bootstrap: { roleArn: bootstrap.roleArn } }, 'infra.bootstrap.twingateGroup: is required'],
    [
      { owner: 'a', nodes: { instanceTypes: ['m7i.large'] }, bootstrap: { ...bootstrap, roleArn: 'arn:aws:iam::111122223333:user/me' } },
      'infra.bootstrap.roleArn: "arn:aws:iam::111122223333:user/me" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    ],
    [
      { owner: 'a', nodes: { instanceTypes: ['m7i.large'] }, bootstrap, adminRoleArns: [bootstrap.roleArn] },
      'infra.bootstrap.roleArn: is also adminRoleArns[0]; use a role of its own for the bootstrap',
    ],
    [
      { owner: 'a', nodes: { instanceTypes: ['m7i.large'] }, bootstrap: { ...bootstrap, twingateGroup: 'Operators' } },
      'infra.bootstrap.twingateGroup: group "Operators" is not declared in groups',
    ],
  ])('rejects %j with one message naming the field', (infra, message) => {
    expect(problem(infra)).toBe(message);
  });

  it('reports a bad infra block as one line naming the environment, when loading files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-infra-'));
    try {
      const lib = join(__dirname, '..', '..', 'platform', 'registry');
      writeFileSync(
        join(dir, 'dev.ts'),
        `import { defineEnvironment } from ${JSON.stringify(lib)};\nexport default defineEnvironment(${JSON.stringify({ ...base, infra: { owner: 'a', nodes: { instanceTypes: ['m7i.large'], desired: 9 }, bootstrap } })});\n`,
      );
      await expect(loadEnvironmentFile(join(dir, 'dev.ts'))).rejects.toThrow(/^environment dev: infra\.nodes\.desired: 9 is not between min 2 and max 4$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an infra block without bootstrap, on one line naming the environment and field, when loading files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-infra-'));
    try {
      const lib = join(__dirname, '..', '..', 'platform', 'registry');
      writeFileSync(
        join(dir, 'staging.ts'),
        `import { defineEnvironment } from ${JSON.stringify(lib)};\nexport default defineEnvironment(${JSON.stringify({ ...base, name: 'staging', infra: { owner: 'a', nodes: { instanceTypes: ['m7i.large'] } } })});\n`,
      );
      await expect(loadEnvironmentFile(join(dir, 'staging.ts'))).rejects.toThrow(/^environment staging: infra\.bootstrap: is required$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is set for every shipped environment, prod larger than dev', async () => {
    // lab (Tailscale only) has no infra block: infra builds Twingate environments (docs/tailscale.md).
    const envs = Object.fromEntries((await loadEnvironments()).filter((e) => e.infra).map((e) => [e.name, e.infra!]));
    expect(Object.keys(envs).sort()).toEqual(['dev', 'lattice-cluster1', 'lattice-cluster2', 'prod', 'staging', 'urlshort']);
    expect(envs.prod!.availabilityZones).toBeGreaterThan(envs.dev!.availabilityZones);
    expect(envs.prod!.nodes.max).toBeGreaterThan(envs.dev!.nodes.max);
    // Nobody reaches a new cluster otherwise (API authentication mode, no creator admin).
    for (const infra of Object.values(envs)) expect(infra.bootstrap.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
  });
});
