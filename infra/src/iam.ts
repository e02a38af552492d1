/**
 * IAM building blocks: roles assumed by AWS services and by pods (EKS Pod Identity), with
 * AWS-managed policies attached by name and inline policies scoped to known ARNs.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Context } from './context';

export interface Statement {
  readonly Effect?: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: pulumi.Input<string> | readonly pulumi.Input<string>[];
  readonly Condition?: Record<string, Record<string, pulumi.Input<string>>>;
}

/** The principal EKS Pod Identity assumes roles as; it also tags the session. */
const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

function trustPolicy(service: string): string {
  const actions = service === POD_IDENTITY_PRINCIPAL ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'];
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: actions }],
  });
}

/** A policy document whose ARNs may still be outputs. */
function policyDocument(statements: readonly Statement[]): pulumi.Output<string> {
  return pulumi.output(statements.map((s) => ({ Effect: 'Allow', ...s }))).apply((resolved) => JSON.stringify({ Version: '2012-10-17', Statement: resolved }));
}

interface RoleSpec {
  /** Service principal, e.g. `eks.amazonaws.com`; `pods` for EKS Pod Identity. */
  readonly service: string;
  /** AWS-managed policy names (the part after `policy/`). */
  readonly managed?: readonly string[];
  /** Inline statements, each on ARNs the program knows. */
  readonly statements?: readonly Statement[];
  readonly description: string;
}

/** A role with its managed and inline policies. The role name is `<env>-<name>`. */
export function role(ctx: Context, name: string, spec: RoleSpec): aws.iam.Role {
  const service = spec.service === 'pods' ? POD_IDENTITY_PRINCIPAL : spec.service;
  const r = new aws.iam.Role(
    name,
    { name: `${ctx.env.name}-${name}`, description: spec.description, assumeRolePolicy: trustPolicy(service), tags: ctx.tags(name) },
    ctx.opts,
  );
  for (const policy of spec.managed ?? []) {
    new aws.iam.RolePolicyAttachment(
      `${name}-${policy}`,
      { role: r.name, policyArn: pulumi.interpolate`arn:${ctx.partition}:iam::aws:policy/${policy}` },
      ctx.opts,
    );
  }
  if (spec.statements && spec.statements.length > 0) {
    new aws.iam.RolePolicy(`${name}-inline`, { role: r.name, policy: policyDocument(spec.statements) }, ctx.opts);
  }
  return r;
}
