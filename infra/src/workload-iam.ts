/**
 * AWS access for workloads, through EKS Pod Identity: External Secrets reads exactly the
 * secrets the charts render ExternalSecrets for (operator key, in-cluster connector tokens),
 * and decrypts with the secrets key only through Secrets Manager; each app that declares AWS
 * access (`apps.<name>.aws`) gets a role of its own with exactly those statements, bound to the
 * ServiceAccount its chart renders.
 */
import * as aws from '@pulumi/aws';
import { appServiceAccount } from '../../apps/app';
import { appRoleName, policyStatements } from '../../lib/aws-access';
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

/**
 * One role per app that declares AWS access: exactly the declared actions on exactly the
 * declared ARNs (lib/aws-access.ts refused wildcards and actions outside its list when the
 * environment loaded), assumable only by EKS Pod Identity, and associated with the app's
 * ServiceAccount. Apps without declarations get nothing: their pods have no AWS credentials.
 */
export function buildAppAccess(ctx: Context, cluster: aws.eks.Cluster): Record<string, aws.iam.Role> {
  const roles: Record<string, aws.iam.Role> = {};
  for (const [app, spec] of Object.entries(ctx.env.apps).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (spec.aws.length === 0) continue;
    const name = `app-${app}`;
    // role() names it `<env>-<name>`: the same name the app's ServiceAccount annotation shows.
    if (`${ctx.env.name}-${name}` !== appRoleName(ctx.env.name, app)) throw new Error(`internal: role name of app ${app} drifted`);
    const r = role(ctx, name, {
      service: 'pods',
      description: `App ${app} (${spec.namespace}): only the AWS access its environment declares`,
      statements: policyStatements(spec.aws),
    });
    const sa = appServiceAccount(ctx.env, app);
    new aws.eks.PodIdentityAssociation(
      name,
      { clusterName: cluster.name, namespace: sa.namespace, serviceAccount: sa.name, roleArn: r.arn, tags: ctx.tags(name) },
      ctx.opts,
    );
    roles[app] = r;
  }
  return roles;
}
