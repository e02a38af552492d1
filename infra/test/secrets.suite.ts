import * as aws from '@pulumi/aws';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_SECRETS_SERVICE_ACCOUNT } from '../../platform/shared/external-secrets';
import { secretNames } from '../../platform/twingate/cloud-names';
import { chartConnectorCount } from '../../platform/twingate/settings';
import { type Built, FAKE_OPERATOR_KEY, isSecretInput } from './harness';

/** Runs against every environment built once by infra.test.ts. */
export function secretsSuite(built: readonly Built[]): void {
  describe('Secrets Manager', () => {
    it('stores the operator key and every connector token set under the shared names, encrypted with the secrets key', () => {
      for (const b of built) {
        const { ec2 } = b.env.infra!.connectors;
        const cluster = chartConnectorCount(b.env);
        const expected = [
          secretNames.apiKey(b.env),
          secretNames.remoteNetworkId(b.env),
          ...Array.from({ length: cluster }, (_, i) => secretNames.clusterConnectorTokens(b.env, i)),
          ...Array.from({ length: ec2 }, (_, i) => secretNames.ec2ConnectorTokens(b.env, i)),
        ];
        const secrets = b.of(aws.secretsmanager.Secret);
        expect(secrets.map((s) => s.inputs.name).sort()).toEqual(expected.sort());
        for (const s of secrets) expect(s.inputs.kmsKeyId).toMatch(/:key\/secrets$/);
        expect(b.one(aws.kms.Key, 'secrets').inputs.enableKeyRotation).toBe(true);
      }
    });

    it('writes every secret value as a Pulumi secret, in the form its consumer reads', () => {
      for (const b of built) {
        const versions = b.of(aws.secretsmanager.SecretVersion);
        expect(versions).toHaveLength(b.of(aws.secretsmanager.Secret).length);
        for (const v of versions) {
          expect(isSecretInput(v.inputs.secretString), v.name).toBe(true);
          if (/-connector-\d+$/.test(v.name)) {
            expect(Object.keys(JSON.parse(v.inputs.secretString.value)), v.name).toEqual(['TWINGATE_ACCESS_TOKEN', 'TWINGATE_REFRESH_TOKEN']);
          }
        }
        expect(b.one(aws.secretsmanager.SecretVersion, 'twingate-api-key').inputs.secretString.value).toBe(FAKE_OPERATOR_KEY);
        // The operator provisions into eks-network.
        expect(b.one(aws.secretsmanager.SecretVersion, 'twingate-remote-network-id').inputs.secretString.value).toBe('eks-network-id');
      }
      expect(
        built
          .find((b) => b.env.name === 'staging')!
          .of(aws.secretsmanager.SecretVersion)
          .map((v) => v.name),
      ).toContain('eks-connector-1');
    });
  });

  describe('External Secrets through Pod Identity', () => {
    it('binds the controller service account to its role', () => {
      for (const b of built) {
        // Apps that declare AWS access have their own associations (workload-iam.suite.ts), and so
        // do a Lattice unit's gateway controller and callers (lattice.test.ts).
        const [assoc, ...rest] = b.of(aws.eks.PodIdentityAssociation).filter((a) => !a.name.startsWith('app-') && !a.name.startsWith('lattice-'));
        expect(rest).toEqual([]);
        expect(assoc!.inputs).toMatchObject({
          clusterName: b.env.cluster.name,
          namespace: EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace,
          serviceAccount: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name,
          roleArn: expect.stringContaining(`role/${b.env.name}-external-secrets`),
        });
        const trust = JSON.parse(b.one(aws.iam.Role, 'external-secrets').inputs.assumeRolePolicy);
        expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]);
      }
    });

    it('reads exactly the secrets the charts reference (operator key, network id, chart connectors), never EC2 host tokens', () => {
      for (const b of built) {
        const policy = JSON.parse(b.one(aws.iam.RolePolicy, 'external-secrets-inline').inputs.policy);
        const read = policy.Statement[0];
        expect(read.Action).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
        const names = read.Resource.map((arn: string) => arn.split(':secret/')[1]);
        expect(names).toEqual([
          secretNames.apiKey(b.env),
          secretNames.remoteNetworkId(b.env),
          ...Array.from({ length: chartConnectorCount(b.env) }, (_, i) => secretNames.clusterConnectorTokens(b.env, i)),
        ]);
      }
    });

    it('uses no "*" resource in any inline policy (only the streams of a known log group)', () => {
      let checked = 0;
      for (const b of built) {
        // VPC Lattice's policies have their own rule (lattice.test.ts): callers' Invoke is scoped by
        // conditions to services the controller creates later, and List* calls exist only on "*".
        for (const p of b.of(aws.iam.RolePolicy).filter((p) => !p.name.startsWith('lattice-'))) {
          for (const s of JSON.parse(p.inputs.policy).Statement) {
            for (const r of [s.Resource].flat() as string[]) {
              checked++;
              expect(r, `${b.env.name} ${p.name}`).toMatch(/^arn:aws:[^*]+$|^arn:aws:logs:[^*]+:log-group:[^*]+:\*$/);
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(20);
    });
  });
}
