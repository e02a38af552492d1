/**
 * Secrets Manager: one customer-managed KMS key for the environment's secrets, and secrets
 * whose values come from other resources' outputs (Twingate tokens) or from encrypted stack
 * configuration (the operator's API key). Values are always wrapped as Pulumi secrets, so they
 * are encrypted in state and never shown in previews or plain outputs.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Context } from './context';

export interface StoredSecret {
  readonly name: string;
  readonly secret: aws.secretsmanager.Secret;
}

export function secretsKey(ctx: Context): aws.kms.Key {
  const key = new aws.kms.Key(
    'secrets',
    {
      description: `${ctx.env.name}: Secrets Manager secrets (Twingate tokens and keys)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: ctx.tags('secrets'),
    },
    ctx.opts,
  );
  new aws.kms.Alias('secrets', { name: `alias/${ctx.env.name}-secrets`, targetKeyId: key.keyId }, ctx.opts);
  return key;
}

/** A plain-string secret, or a JSON one (keys sorted) when given an object. */
export function storeSecret(
  ctx: Context,
  key: aws.kms.Key,
  logicalName: string,
  name: string,
  description: string,
  value: pulumi.Input<string> | pulumi.Input<Record<string, pulumi.Input<string>>>,
): StoredSecret {
  const secret = new aws.secretsmanager.Secret(logicalName, { name, description, kmsKeyId: key.arn, tags: ctx.tags(logicalName) }, ctx.opts);
  new aws.secretsmanager.SecretVersion(
    logicalName,
    {
      secretId: secret.id,
      secretString: pulumi.secret(pulumi.output(value).apply((v) => (typeof v === 'string' ? v : JSON.stringify(v, Object.keys(v).sort())))),
    },
    ctx.opts,
  );
  return { name, secret };
}
