/**
 * Least privilege of the access table, property-tested: over generated access tables (valid
 * ones, and random ones validation must refuse or keep within the rules), the effective
 * permissions of the rendered RoleBindings and ClusterRoleBindings never let a group read a
 * Secret or create pods in a platform namespace, and only the break-glass group's explicit
 * `clusterRole: "cluster-admin"` reaches cluster-admin. Permissions are computed here from the
 * rendered bindings and what Kubernetes' default ClusterRoles allow, not from access.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Component } from '../../../lib/component';
import type { Environment } from '../../../lib/environment';
import { loadEnvironments } from '../../../lib/load';
import type { ApiObject } from '../../../lib/output';
import { renderEnvironment } from '../../../lib/synth';
import { PLATFORM, validate } from '../../../platform/registry';
import { generateAttempt, generateInput, mustValidate, twingateEnvironments } from '../../support/twingate';

/**
 * What Kubernetes' user-facing ClusterRoles allow, for the two permissions that matter here
 * (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles): `view`
 * excludes Secrets and cannot create pods; `edit` and `admin` read Secrets and create pods (as
 * any ServiceAccount of the namespace); `cluster-admin` does everything.
 */
const ALLOWS: Readonly<Record<string, { readonly readSecrets: boolean; readonly createPods: boolean }>> = {
  view: { readSecrets: false, createPods: false },
  edit: { readSecrets: true, createPods: true },
  admin: { readSecrets: true, createPods: true },
  'cluster-admin': { readSecrets: true, createPods: true },
};

type Binding = ApiObject & { roleRef: { kind: string; name: string }; subjects?: { kind: string; name: string }[] };

interface Grant {
  readonly group: string;
  /** A namespace, or `*` for a ClusterRoleBinding. */
  readonly scope: string;
  readonly role: string;
  readonly kind: string;
}

/** Every (group, scope, role) the rendered bindings grant to Group subjects. */
function groupGrants(objects: readonly ApiObject[]): Grant[] {
  return (objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') as Binding[]).flatMap((b) =>
    (b.subjects ?? [])
      .filter((s) => s.kind === 'Group')
      .map((s) => ({ group: s.name, scope: b.kind === 'RoleBinding' ? b.metadata.namespace! : '*', role: b.roleRef.name, kind: b.kind })),
  );
}

/** Namespaces the enabled platform components install into (their Applications' destinations). */
function platformNamespacesOf(env: Environment): string[] {
  const catalogue: readonly Component[] = PLATFORM;
  return [...new Set(catalogue.filter((c) => env.components.includes(c.name)).flatMap((c) => (c.namespace ? [c.namespace(env)] : [])))].sort();
}

/** The properties; returns the grants for the caller's coverage counts. */
function checkLeastPrivilege(env: Environment): Grant[] {
  const rendered = renderEnvironment(env);
  const objects = rendered.flatMap((c) => c.objects);
  const platform = platformNamespacesOf(env);
  expect(platform).toContain('twingate');
  const grants = groupGrants(objects);
  for (const g of grants) {
    const allows = ALLOWS[g.role];
    expect(allows, `${g.group} is bound to ${g.role}, a role the model does not know`).toBeDefined();
    expect(g.group.toLowerCase().startsWith('system:'), `${g.group}: system group`).toBe(false);
    // cluster-admin: only the break-glass group's explicit clusterRole field.
    if (g.role === 'cluster-admin') {
      expect(g.kind).toBe('ClusterRoleBinding');
      expect(g.group).toBe(env.breakGlassGroup);
      expect(env.access.find((r) => r.group === g.group)?.clusterRole).toBe('cluster-admin');
      continue;
    }
    for (const ns of platform) {
      if (g.scope !== ns && g.scope !== '*') continue;
      expect(allows!.readSecrets, `${g.group} reads Secrets in platform namespace ${ns} (${g.kind} to ${g.role})`).toBe(false);
      expect(allows!.createPods, `${g.group} creates pods in platform namespace ${ns} (${g.kind} to ${g.role})`).toBe(false);
    }
  }
  return grants;
}

describe('no access row reaches a platform namespace or cluster-admin', () => {
  it('holds for dev, staging and prod', async () => {
    for (const env of await twingateEnvironments()) checkLeastPrivilege(env);
  });

  it('holds for 80 generated valid access tables', () => {
    let namespacedWrite = 0;
    let breakGlass = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const env = mustValidate(generateInput(seed));
      try {
        const grants = checkLeastPrivilege(env);
        if (grants.some((g) => g.scope !== '*' && ALLOWS[g.role]!.readSecrets)) namespacedWrite++;
        if (grants.some((g) => g.role === 'cluster-admin')) breakGlass++;
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}`);
      }
    }
    expect(namespacedWrite).toBeGreaterThan(10);
    expect(breakGlass).toBeGreaterThan(5);
  });

  it('holds for 300 random access tables: each is refused or within the rules', () => {
    let accepted = 0;
    let refused = 0;
    const reasons = new Map<string, number>();
    for (let seed = 1; seed <= 300; seed++) {
      const result = validate(generateAttempt(seed));
      if ('problem' in result) {
        refused++;
        reasons.set(result.problem.message.replace(/"[^"]*"/g, '_'), (reasons.get(result.problem.message.replace(/"[^"]*"/g, '_')) ?? 0) + 1);
        expect(result.problem.message, `seed ${seed}`).not.toMatch(/\n/);
        continue;
      }
      accepted++;
      try {
        checkLeastPrivilege(result.env);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}`);
      }
    }
    // Both branches are exercised.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
    expect(reasons.size, 'several different refusals').toBeGreaterThan(4);
  });

  it('the check fails on an edit RoleBinding in twingate (it can fail)', async () => {
    const [dev] = await loadEnvironments(undefined, ['dev']);
    const grants = groupGrants([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'x', namespace: 'twingate' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'Engineering' }],
      } as ApiObject,
    ]);
    expect(grants).toEqual([{ group: 'Engineering', scope: 'twingate', role: 'edit', kind: 'RoleBinding' }]);
    expect(dev).toBeDefined();
    expect(ALLOWS.edit!.readSecrets).toBe(true);
  });
});
