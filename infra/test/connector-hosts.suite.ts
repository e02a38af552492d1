import * as aws from '@pulumi/aws';
import { describe, expect, it } from 'vitest';
import { secretNames } from '../../platform/twingate/cloud-names';
import { resolveTwingate } from '../../platform/twingate/settings';
import { type Built, FAKE_SECRET_MARK } from './harness';

/** Runs against every environment built once by infra.test.ts. */
export function connectorHostsSuite(built: readonly Built[]): void {
  describe('EC2 connector hosts', () => {
    it('run one per configured connector, spread over the private subnets, with no public address', () => {
      for (const b of built) {
        const hosts = b.of(aws.ec2.Instance);
        expect(hosts).toHaveLength(b.env.infra!.connectors.ec2);
        hosts.forEach((h, i) => {
          expect(h.inputs.associatePublicIpAddress, h.name).toBe(false);
          expect(h.inputs.subnetId).toBe(`private-${i % b.env.infra!.availabilityZones}-id`);
          expect(h.inputs.vpcSecurityGroupIds).toEqual(['sg-connectors-id']);
          expect(h.inputs.instanceType).toBe(b.env.infra!.connectors.ec2InstanceType);
          expect(h.inputs.keyName).toBeUndefined();
        });
      }
      expect(
        new Set(
          built
            .find((b) => b.env.name === 'prod')!
            .of(aws.ec2.Instance)
            .map((h) => h.inputs.subnetId),
        ).size,
      ).toBe(2);
    });

    it('require IMDSv2 with hop limit 1 and encrypt the root volume', () => {
      for (const b of built) {
        for (const h of b.of(aws.ec2.Instance)) {
          expect(h.inputs.metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1 });
          expect(h.inputs.rootBlockDevice.encrypted).toBe(true);
        }
      }
    });

    it('read their tokens from Secrets Manager at boot: user data names the secret and holds no token', () => {
      for (const b of built) {
        b.of(aws.ec2.Instance).forEach((h, i) => {
          const userData: string = h.inputs.userData;
          expect(userData).toContain(`--secret-id '${secretNames.ec2ConnectorTokens(b.env, i)}'`);
          expect(userData).toContain(`TWINGATE_NETWORK='${resolveTwingate(b.env).network}'`);
          expect(userData).not.toContain(FAKE_SECRET_MARK);
        });
      }
    });

    it('have a least-privilege role: SSM core, and read access to their own secret only', () => {
      for (const b of built) {
        b.of(aws.ec2.Instance).forEach((_, i) => {
          const roleName = `${b.env.name}-aws-connector-${i + 1}`;
          expect(b.one(aws.iam.InstanceProfile, `aws-connector-${i + 1}`).inputs.role).toBe(roleName);
          const managed = b.of(aws.iam.RolePolicyAttachment).filter((a) => a.inputs.role === roleName);
          expect(managed.map((a) => a.inputs.policyArn)).toEqual(['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore']);
          const policy = JSON.parse(b.one(aws.iam.RolePolicy, `aws-connector-${i + 1}-inline`).inputs.policy);
          expect(policy.Statement[0]).toEqual({
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: expect.stringMatching(new RegExp(`:secret/${secretNames.ec2ConnectorTokens(b.env, i)}$`)),
          });
          expect(policy.Statement[1].Condition.StringEquals['kms:ViaService']).toBe(`secretsmanager.${b.env.aws.region}.amazonaws.com`);
        });
      }
    });
  });
}
