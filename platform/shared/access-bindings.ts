/**
 * The Kubernetes side of the environment's access table, shared by every access provider
 * (Twingate's access gateway, Tailscale's API server proxy): one RoleBinding per (group,
 * namespace of an app it names) for a `kubernetesRole`, one ClusterRoleBinding per group with a
 * `clusterRole`, and the groups a provider's proxy may impersonate. Providers differ only in
 * the name their proxy forwards for a group (the RBAC subject) and the prefix of the binding
 * names, so two providers enabled together never render the same object.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { Environment } from '../../lib/environment';

export interface PlannedBinding {
  /** `<provider prefix>-<slug of the declared group>`. */
  readonly name: string;
  /** The Group subject: the name the provider's proxy forwards for the group. */
  readonly group: string;
  /** The ClusterRole bound (`view`, `edit`, `admin`, or `cluster-admin` for the break-glass group). */
  readonly role: string;
  /** Namespace of a RoleBinding; absent for a ClusterRoleBinding. */
  readonly namespace?: string;
}

export interface Provider {
  /** Prefix of the binding names, e.g. `twingate-group`. */
  readonly prefix: string;
  /** The group name the provider forwards for a declared group. */
  subject(group: string): string;
  /** A Kubernetes object name for a declared group. */
  slug(group: string): string;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Bindings of the access table for one provider, sorted by name, then namespace. */
export function accessBindings(env: Pick<Environment, 'access' | 'apps'>, provider: Provider): PlannedBinding[] {
  const bindings: PlannedBinding[] = [];
  for (const row of env.access) {
    const name = `${provider.prefix}-${provider.slug(row.group)}`;
    const group = provider.subject(row.group);
    if (row.kubernetesRole) {
      for (const namespace of [...new Set(row.resources.map((app) => env.apps[app]!.namespace))].sort()) {
        bindings.push({ name, group, role: row.kubernetesRole, namespace });
      }
    }
    if (row.clusterRole) bindings.push({ name, group, role: row.clusterRole });
  }
  return bindings.sort((a, b) => byText(a.name, b.name) || byText(a.namespace ?? '', b.namespace ?? ''));
}

/** The forwarded names of every group with a role, plus `extra` (identities the proxy always adds), sorted: what a proxy may impersonate. */
export function impersonatedGroups(env: Pick<Environment, 'access'>, provider: Pick<Provider, 'subject'>, extra: readonly string[] = []): string[] {
  const withRole = env.access.filter((r) => r.kubernetesRole || r.clusterRole).map((r) => provider.subject(r.group));
  return [...new Set([...withRole, ...extra])].sort(byText);
}

/** The RoleBindings and ClusterRoleBindings of {@link accessBindings}. */
export function renderBindings(scope: Construct, bindings: readonly PlannedBinding[], labels: Record<string, string>): void {
  for (const b of bindings) {
    const props = {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: b.group }],
    };
    if (b.namespace)
      new k8s.KubeRoleBinding(scope, `binding-${b.name}-${b.namespace}`, { metadata: { name: b.name, namespace: b.namespace, labels }, ...props });
    else new k8s.KubeClusterRoleBinding(scope, `binding-${b.name}`, { metadata: { name: b.name, labels }, ...props });
  }
}
