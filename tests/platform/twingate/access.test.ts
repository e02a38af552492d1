/**
 * The rendered Twingate objects equal the environment's access table exactly, for the three
 * real environments and for generated tables (seeded, reproducible). Expectations are computed
 * from the table here, independently of platform/twingate-access.ts.
 */

import { describe, expect, it } from 'vitest';
import type { Environment } from '../../../lib/environment';
import { loadEnvironments } from '../../../lib/load';
import type { ApiObject } from '../../../lib/output';
import { resolveTwingate } from '../../../platform/twingate/settings';
import { baseInput, generateInput, mustValidate, ofKind, renderAll, twingateEnvironments } from '../../support/twingate';

const GATEWAY_ONLY = new Set(['twingate:authenticated', 'twingate:service-accounts']);
const EXTERNAL_BUILTIN = new Set(['Everyone']);

type Obj = ApiObject & { spec: any; component: string };

/** A declared group's name in Twingate (and RBAC subject): `<prefix>: <group>` when the platform creates it, its own name otherwise. */
function named(env: Environment, group: string): string {
  const tg = resolveTwingate(env);
  return tg.managedGroups.includes(group) ? `${tg.managedGroupPrefix}: ${group}` : group;
}

/** `address -> group` pairs the table grants, plus the Kubernetes resource for rows with a role. */
function expectedGrants(env: Environment): string[] {
  const grants: string[] = [];
  for (const row of env.access) {
    if (GATEWAY_ONLY.has(row.group)) continue;
    for (const app of row.resources) {
      const a = env.apps[app]!;
      grants.push(`${app}.${a.namespace}.svc.${env.cluster.domain} <- ${named(env, row.group)}`);
    }
    if (row.kubernetesRole || row.clusterRole) grants.push(`kubernetes.default.svc.${env.cluster.domain} <- ${named(env, row.group)}`);
  }
  return [...new Set(grants)].sort();
}

/** The same pairs read back from rendered objects, following every reference. */
function renderedGrants(objects: readonly Obj[]): string[] {
  const resources = ofKind<Obj>(objects, 'TwingateResource');
  const groups = ofKind<Obj>(objects, 'TwingateGroup');
  return ofKind<Obj>(objects, 'TwingateResourceAccess')
    .map((a) => {
      const ns = a.metadata.namespace;
      const resource = resources.find((r) => r.metadata.name === a.spec.resourceRef.name && r.metadata.namespace === (a.spec.resourceRef.namespace ?? ns));
      expect(resource, `${a.metadata.name}: resourceRef resolves`).toBeDefined();
      let group: string;
      if (a.spec.groupRef) {
        const g = groups.find((x) => x.metadata.name === a.spec.groupRef.name && x.metadata.namespace === (a.spec.groupRef.namespace ?? ns));
        expect(g, `${a.metadata.name}: groupRef resolves`).toBeDefined();
        group = g!.spec.name;
        expect(a.spec.principalExternalRef).toBeUndefined();
      } else {
        expect(a.spec.principalExternalRef.type).toBe('group');
        group = a.spec.principalExternalRef.name;
      }
      return `${resource!.spec.address} <- ${group}`;
    })
    .sort();
}

function servicePorts(env: Environment, app: string, protocol: 'TCP' | 'UDP'): number[] {
  return [
    ...new Set(
      Object.values(env.apps[app]!.ports)
        .filter((p) => p.protocol === protocol)
        .map((p) => p.servicePort ?? p.containerPort),
    ),
  ].sort((a, b) => a - b);
}

const portList = (ports: { start: number; end: number }[]) =>
  ports.flatMap((p) => Array.from({ length: p.end - p.start + 1 }, (_, i) => p.start + i)).sort((a, b) => a - b);

/** Every property the issue asks of one environment's rendering. */
function checkEnvironment(env: Environment): void {
  const objects = renderAll(env) as Obj[];
  const managedGroups = new Set(resolveTwingate(env).managedGroups);

  // Each group gets exactly its resources (both directions: nothing missing, nothing extra).
  const rendered = renderedGrants(objects);
  expect(rendered).toEqual(expectedGrants(env));
  expect(new Set(rendered).size, 'no duplicate grants').toBe(rendered.length);

  // One resource per exposed app, addressed by its Service, TCP/UDP restricted to its ports.
  const exposed = [...new Set(env.access.flatMap((r) => r.resources))].sort();
  const appResources = ofKind<Obj>(objects, 'TwingateResource').filter((r) => r.spec.type !== 'Kubernetes');
  expect(appResources.map((r) => r.spec.address).sort()).toEqual(exposed.map((a) => `${a}.${env.apps[a]!.namespace}.svc.${env.cluster.domain}`).sort());
  for (const r of appResources) {
    const app = exposed.find((a) => r.spec.address.startsWith(`${a}.`))!;
    expect(r.spec.protocols.allowIcmp).toBe(false);
    expect(r.spec.protocols.tcp.policy).toBe('RESTRICTED');
    expect(r.spec.protocols.udp.policy).toBe('RESTRICTED');
    expect(portList(r.spec.protocols.tcp.ports)).toEqual(servicePorts(env, app, 'TCP'));
    expect(portList(r.spec.protocols.udp.ports)).toEqual(servicePorts(env, app, 'UDP'));
    expect(r.spec.alias).toMatch(/\./);
    expect(r.spec.gatewayRef).toBeUndefined();
  }
  const aliases = ofKind<Obj>(objects, 'TwingateResource').map((r) => r.spec.alias);
  expect(new Set(aliases).size, 'aliases are unique').toBe(aliases.length);

  // TwingateGroups: exactly the groups opted in for creation, named per environment; every
  // other group is referenced by its identity-provider name.
  const managed = env.groups
    .filter((g) => managedGroups.has(g))
    .map((g) => `${resolveTwingate(env).managedGroupPrefix}: ${g}`)
    .sort();
  expect(
    ofKind<Obj>(objects, 'TwingateGroup')
      .map((g) => g.spec.name)
      .sort(),
  ).toEqual(managed);
  for (const a of ofKind<Obj>(objects, 'TwingateResourceAccess')) {
    if (a.spec.principalExternalRef) {
      const name = a.spec.principalExternalRef.name;
      expect(EXTERNAL_BUILTIN.has(name) || (env.groups.includes(name) && !managedGroups.has(name))).toBe(true);
    }
  }

  // RBAC: (Group subject, scope, ClusterRole) triples equal the table: a kubernetesRole in the
  // namespace of each app the row names, a clusterRole cluster-wide.
  const groupBindings = objects.filter(
    (b) => (b.kind === 'ClusterRoleBinding' || b.kind === 'RoleBinding') && (b.subjects as { kind: string }[]).some((s) => s.kind === 'Group'),
  );
  const triples = groupBindings
    .flatMap((b) =>
      (b.subjects as { kind: string; name: string }[]).map(
        (s) => `${s.name} @ ${b.kind === 'RoleBinding' ? b.metadata.namespace : '*'} -> ${(b.roleRef as { name: string }).name}`,
      ),
    )
    .sort();
  expect(triples).toEqual(
    [
      ...new Set(
        env.access.flatMap((r) => [
          ...(r.kubernetesRole ? r.resources.map((a) => `${named(env, r.group)} @ ${env.apps[a]!.namespace} -> ${r.kubernetesRole}`) : []),
          ...(r.clusterRole ? [`${named(env, r.group)} @ * -> ${r.clusterRole}`] : []),
        ]),
      ),
    ].sort(),
  );
  for (const b of groupBindings) {
    expect(b.subjects).toHaveLength(1);
    expect((b.roleRef as { kind: string }).kind).toBe('ClusterRole');
    const subject = (b.subjects as { name: string }[])[0]!.name;
    if (subject === 'Everyone' || subject === 'twingate:authenticated') expect((b.roleRef as { name: string }).name).toBe('view');
    if ((b.roleRef as { name: string }).name === 'cluster-admin') expect(subject).toBe(env.breakGlassGroup);
  }

  // Operator-written fields are never rendered.
  for (const o of objects.filter((x) => x.apiVersion.startsWith('twingate.com/'))) expect(o.spec.id, `${o.kind}/${o.metadata.name} spec.id`).toBeUndefined();
  for (const c of ofKind<Obj>(objects, 'TwingateConnector')) expect(c.spec.name).toBeUndefined();
}

describe('Twingate objects equal the access table', () => {
  it('holds for dev, staging and prod', async () => {
    const envs = await twingateEnvironments();
    expect(envs.map((e) => e.name)).toEqual(['dev', 'lattice-cluster1', 'lattice-cluster2', 'prod', 'staging', 'urlshort']);
    for (const env of envs) checkEnvironment(env);
  });

  it('holds for 60 generated access tables', () => {
    let withExternal = 0;
    let withManaged = 0;
    let withGatewayGroup = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const env = mustValidate(generateInput(seed));
      try {
        checkEnvironment(env);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}`);
      }
      if (resolveTwingate(env).managedGroups.length > 0) withManaged++;
      if (env.access.some((r) => r.resources.length > 0 && !GATEWAY_ONLY.has(r.group) && !resolveTwingate(env).managedGroups.includes(r.group))) withExternal++;
      if (env.access.some((r) => GATEWAY_ONLY.has(r.group) && r.clusterRole)) withGatewayGroup++;
    }
    // The generator must actually exercise the interesting branches.
    expect(withExternal).toBeGreaterThan(5);
    expect(withManaged).toBeGreaterThan(5);
    expect(withGatewayGroup).toBeGreaterThan(3);
  });

  it('fails when a grant is missing (the check can fail)', async () => {
    const [dev] = await loadEnvironments(undefined, ['dev']);
    const objects = renderAll(dev!) as Obj[];
    const withoutOne = objects.filter((o) => !(o.kind === 'TwingateResourceAccess' && o.metadata.name.startsWith('whoami.')));
    expect(renderedGrants(withoutOne)).not.toEqual(expectedGrants(dev!));
  });
});

describe('groups: from the identity provider unless opted in for creation', () => {
  const objectsOf = (name: string, twingate: Record<string, unknown>) =>
    renderAll(
      mustValidate(
        baseInput({
          name,
          groups: ['Engineering', 'SRE On-Call'],
          access: [
            { group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' },
            { group: 'SRE On-Call', resources: ['whoami'], kubernetesRole: 'edit' },
          ],
          twingate: { network: 'acme', ...twingate },
        }),
      ),
    ) as Obj[];

  it('by default every group is referenced by its identity-provider name and nothing is created', () => {
    const objects = objectsOf('dev', {});
    expect(ofKind(objects, 'TwingateGroup')).toEqual([]);
    const refs = ofKind<Obj>(objects, 'TwingateResourceAccess').map((a) => [a.spec.groupRef, a.spec.principalExternalRef?.name]);
    expect(refs.every(([ref]) => ref === undefined)).toBe(true);
    expect(refs.map(([, name]) => name).sort()).toEqual(['Engineering', 'Engineering', 'SRE On-Call', 'SRE On-Call']);
  });

  it('created groups are scoped per environment, so two environments sharing a tenant never collide', () => {
    const names = (env: string, prefix?: string) =>
      ofKind<Obj>(objectsOf(env, { managedGroups: ['SRE On-Call'], ...(prefix ? { managedGroupPrefix: prefix } : {}) }), 'TwingateGroup').map((g) => [
        g.metadata.name,
        g.spec.name,
      ]);
    expect(names('dev')).toEqual([['sre-on-call', 'dev: SRE On-Call']]);
    expect(names('prod')).toEqual([['sre-on-call', 'prod: SRE On-Call']]);
    expect(names('prod', 'Acme prod')).toEqual([['sre-on-call', 'Acme prod: SRE On-Call']]);
  });

  it('RBAC subjects are the names the gateway forwards: IdP names, and the scoped name of a created group', () => {
    const objects = objectsOf('dev', { managedGroups: ['SRE On-Call'] });
    // Group subjects only: the charts' own RoleBindings (leader election) bind ServiceAccounts.
    const subjects = objects
      .filter((b) => b.kind === 'RoleBinding' && (b.subjects as { kind: string }[])[0]!.kind === 'Group')
      .map((b) => [b.metadata.name, (b.subjects as { name: string }[])[0]!.name])
      .sort();
    expect(subjects).toEqual([
      ['twingate-group-engineering', 'Engineering'],
      ['twingate-group-sre-on-call', 'dev: SRE On-Call'],
    ]);
  });
});
