import * as aws from '@pulumi/aws';
import { describe, expect, it } from 'vitest';
import { AWS_ROLE_ANNOTATION } from '../../apps/app';
import { appRoleName } from '../../lib/aws-access';
import { objectsOf } from '../../tests/support';
import type { Built } from './harness';

/** Runs against every environment built once by infra.test.ts. */
export function workloadIamSuite(built: readonly Built[]): void {
  describe('per-app AWS identity (EKS Pod Identity)', () => {
    const withAws = () => built.flatMap((b) => Object.entries(b.env.apps).flatMap(([app, a]) => (a.aws.length ? [{ b, app, a }] : [])));

    it('some environment declares app AWS access (the suite tests something)', () => {
      expect(withAws().map(({ b, app }) => `${b.env.name}/${app}`)).toContain('urlshort/worker');
    });

    it('gives each such app one role whose policy is exactly its declaration: the declared actions on the declared ARNs, nothing else', () => {
      for (const { b, app, a } of withAws()) {
        const role = b.one(aws.iam.Role, `app-${app}`);
        expect(role.inputs.name).toBe(appRoleName(b.env.name, app));
        const policy = JSON.parse(b.one(aws.iam.RolePolicy, `app-${app}-inline`).inputs.policy);
        expect(policy.Version).toBe('2012-10-17');
        // Order-insensitive comparison with the declaration, statement by statement.
        const norm = (s: { Action: string[]; Resource: string[] }) => ({ Effect: 'Allow', Action: [...s.Action].sort(), Resource: [...s.Resource].sort() });
        expect(policy.Statement).toEqual(a.aws.map((s) => norm({ Action: s.actions, Resource: s.resources })));
        for (const s of policy.Statement) {
          expect(Object.keys(s).sort()).toEqual(['Action', 'Effect', 'Resource']);
          for (const r of s.Resource) expect(r).not.toMatch(/[*?]/);
          for (const x of s.Action) expect(x).not.toMatch(/[*?]/);
        }
        // Nothing else is attached to the role: no managed policy, no second inline policy.
        expect(b.of(aws.iam.RolePolicyAttachment).filter((p) => p.name.startsWith(`app-${app}-`))).toEqual([]);
        expect(
          b
            .of(aws.iam.RolePolicy)
            .filter((p) => p.name.startsWith(`app-${app}-`))
            .map((p) => p.name),
        ).toEqual([`app-${app}-inline`]);
      }
    });

    it('the worker of urlshort may consume exactly its one queue', () => {
      const b = built.find((x) => x.env.name === 'urlshort')!;
      const policy = JSON.parse(b.one(aws.iam.RolePolicy, 'app-worker-inline').inputs.policy);
      expect(policy.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
          Resource: ['arn:aws:sqs:us-east-1:111122223333:urlshort-clicks'],
        },
      ]);
    });

    it('lets only EKS Pod Identity assume the role, and associates it with the ServiceAccount the app renders', () => {
      for (const { b, app, a } of withAws()) {
        const trust = JSON.parse(b.one(aws.iam.Role, `app-${app}`).inputs.assumeRolePolicy);
        expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]);
        const assoc = b.one(aws.eks.PodIdentityAssociation, `app-${app}`);
        expect(assoc.inputs).toMatchObject({
          clusterName: b.env.cluster.name,
          namespace: a.namespace,
          serviceAccount: app,
          roleArn: expect.stringContaining(`role/${appRoleName(b.env.name, app)}`),
        });
        // The chart side: the ServiceAccount exists in dist with that name, namespace and role annotation, and the pods run as it.
        const objects = objectsOf(b.env).filter((o) => o.component === app);
        const sa = objects.find((o) => o.kind === 'ServiceAccount')!;
        expect(sa.metadata).toMatchObject({ name: assoc.inputs.serviceAccount, namespace: assoc.inputs.namespace });
        expect((sa.metadata.annotations as Record<string, string>)[AWS_ROLE_ANNOTATION]).toBe(appRoleName(b.env.name, app));
        const deployment = objectsOf(b.env).find((o) => o.component === app && o.kind === 'Deployment') as unknown as {
          spec: { template: { spec: { serviceAccountName: string } } };
        };
        expect(deployment.spec.template.spec.serviceAccountName).toBe(assoc.inputs.serviceAccount);
      }
    });

    it('creates no role or association for apps without declarations', () => {
      for (const b of built) {
        const declared = Object.entries(b.env.apps)
          .filter(([, a]) => a.aws.length)
          .map(([app]) => `app-${app}`)
          .sort();
        expect(
          b
            .of(aws.iam.Role)
            .map((r) => r.name)
            .filter((n) => n.startsWith('app-'))
            .sort(),
        ).toEqual(declared);
        expect(
          b
            .of(aws.eks.PodIdentityAssociation)
            .map((r) => r.name)
            .filter((n) => n.startsWith('app-'))
            .sort(),
        ).toEqual(declared);
      }
    });

    it('exports each app role ARN', () => {
      const b = built.find((x) => x.env.name === 'urlshort')!;
      expect(b.outputs.roles.apps.worker).toContain(`role/${appRoleName('urlshort', 'worker')}`);
    });
  });
}
