/**
 * The environment's access table turned into what Twingate and Kubernetes need, as plain data:
 * one Twingate resource per exposed app Service, the groups to create, one access grant per
 * (resource, group), one RoleBinding per (group, namespace of an app it names) for a
 * `kubernetesRole`, one ClusterRoleBinding per group with a `clusterRole`, and the groups the
 * access gateway may impersonate. The
 * components render exactly this; tests compare it (and the rendered objects) with the table.
 */
import type { Environment } from '../../lib/environment';
import { accessBindings, impersonatedGroups, type PlannedBinding } from '../shared/access-bindings';
import { appAlias, exposedApps, GATEWAY_GROUPS, groupSlug, resolveTwingate, twingateGroupName } from './settings';

/** Metadata name of the Kubernetes-type resource (app resources are `<app>.<namespace>`, with a dot, so they never collide). */
export const KUBERNETES_RESOURCE = 'kubernetes-api';

interface PlannedResource {
  /** Metadata name of the TwingateResource. */
  readonly name: string;
  readonly app: string;
  /** Name shown in the Twingate client. */
  readonly displayName: string;
  /** `<svc>.<ns>.svc.<cluster domain>` */
  readonly address: string;
  readonly alias: string;
  /** Service ports, TCP and UDP; everything else stays closed. */
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
}

export interface PlannedGroup {
  /** The group as declared in the environment. */
  readonly group: string;
  /**
   * Its name in Twingate, which the gateway forwards (so also its RBAC Group subject): the
   * declared name for identity-provider groups, `<prefix>: <group>` for managed ones.
   */
  readonly twingateName: string;
  /** Metadata name of its TwingateGroup, or the slug used in access names for external groups. */
  readonly slug: string;
  /** `managed`: a TwingateGroup is rendered (opt-in, `twingate.managedGroups`); `external` (the default): it exists already (IdP-synced or built in) and is referenced by name. */
  readonly kind: 'managed' | 'external';
}

export interface PlannedAccess {
  /** Metadata name of the TwingateResourceAccess. */
  readonly name: string;
  /** Metadata name of the TwingateResource. */
  readonly resource: string;
  readonly group: PlannedGroup;
}

interface AccessPlan {
  readonly resources: readonly PlannedResource[];
  /** Groups that are Twingate principals (gateway-only identities such as `twingate:authenticated` excluded). */
  readonly groups: readonly PlannedGroup[];
  /** Grants on app resources (twingate-operator component). */
  readonly appAccess: readonly PlannedAccess[];
  /** Grants on the Kubernetes resource, for every principal group with a role (access gateway component). */
  readonly kubernetesAccess: readonly PlannedAccess[];
  /** RoleBindings (with a namespace) and ClusterRoleBindings (without). */
  readonly bindings: readonly PlannedBinding[];
  /**
   * Group names the gateway may impersonate (its ClusterRole's `resourceNames`): every group
   * with a role, plus the identities the gateway adds to every request. Sorted.
   */
  readonly impersonatedGroups: readonly string[];
}

const isGatewayGroup = (g: string) => (GATEWAY_GROUPS as readonly string[]).includes(g);

export function accessPlan(env: Environment): AccessPlan {
  const tg = resolveTwingate(env);
  const managed = new Set(tg.managedGroups);
  const groups = env.groups
    .filter((g) => !isGatewayGroup(g))
    .map(
      (group): PlannedGroup => ({
        group,
        twingateName: twingateGroupName(tg, group),
        slug: groupSlug(group),
        kind: managed.has(group) ? 'managed' : 'external',
      }),
    );
  const byName = new Map(groups.map((g) => [g.group, g]));

  const resources = exposedApps(env).map((app): PlannedResource => {
    const spec = env.apps[app]!;
    const ports = Object.values(spec.ports);
    const servicePorts = (protocol: string) =>
      [...new Set(ports.filter((p) => p.protocol === protocol).map((p) => p.servicePort ?? p.containerPort))].sort((a, b) => a - b);
    return {
      name: `${app}.${spec.namespace}`,
      app,
      displayName: `${app} (${env.cluster.name})`,
      address: `${app}.${spec.namespace}.svc.${env.cluster.domain}`,
      alias: appAlias(tg, app),
      tcp: servicePorts('TCP'),
      udp: servicePorts('UDP'),
    };
  });
  const resourceOf = new Map(resources.map((r) => [r.app, r.name]));

  const appAccess: PlannedAccess[] = [];
  const kubernetesAccess: PlannedAccess[] = [];
  for (const row of env.access) {
    const group = byName.get(row.group);
    if (group) {
      for (const app of [...new Set(row.resources)].sort()) {
        const resource = resourceOf.get(app)!;
        appAccess.push({ name: `${resource}.${group.slug}`, resource, group });
      }
      if (row.kubernetesRole || row.clusterRole) kubernetesAccess.push({ name: `${KUBERNETES_RESOURCE}.${group.slug}`, resource: KUBERNETES_RESOURCE, group });
    }
  }
  // The gateway forwards a group's Twingate name, so that is the RBAC subject.
  const provider = { prefix: 'twingate-group', subject: (g: string) => twingateGroupName(tg, g), slug: groupSlug };
  const byObjectName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    resources,
    groups,
    appAccess: appAccess.sort(byObjectName),
    kubernetesAccess: kubernetesAccess.sort(byObjectName),
    bindings: accessBindings(env, provider),
    impersonatedGroups: impersonatedGroups(env, provider, GATEWAY_GROUPS),
  };
}
