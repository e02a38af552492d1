/**
 * AWS access for workloads, through EKS Pod Identity: External Secrets reads exactly the
 * secrets the charts render ExternalSecrets for (operator key, in-cluster connector tokens),
 * and decrypts with the secrets key only through Secrets Manager.
 */
import * as aws from '@pulumi/aws';
import { EXTERNAL_SECRETS_SERVICE_ACCOUNT } from '../../platform/shared/external-secrets';
import type { Context } from './context';
import { role } from './iam';
import type { StoredSecret } from './secrets';

export function buildExternalSecretsAccess(ctx: Context, cluster: aws.eks.Cluster, readable: readonly StoredSecret[], secretsKey: aws.kms.Key): aws.iam.Role {
  const esoRole = role(ctx, 'external-secrets', {
    service: 'pods',
    description: 'External Secrets Operator: read the Twingate secrets the charts reference',
    statements: [
      { Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: readable.map((s) => s.secret.arn) },
      {
        Action: 'kms:Decrypt',
        Resource: secretsKey.arn,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${ctx.env.aws.region}.amazonaws.com` } },
      },
    ],
  });
  new aws.eks.PodIdentityAssociation(
    'external-secrets',
    {
      clusterName: cluster.name,
      namespace: EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace,
      serviceAccount: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name,
      roleArn: esoRole.arn,
      tags: ctx.tags('external-secrets'),
    },
    ctx.opts,
  );
  return esoRole;
}
