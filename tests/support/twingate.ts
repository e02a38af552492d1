/**
 * Test fixtures for the Twingate suites: a small valid environment, a seeded generator of
 * random (valid) access tables, and lookups over rendered objects. No new dependency: the
 * generator is a 32-bit PRNG (mulberry32), so every failure names a seed that reproduces it.
 */
import { CLUSTER_ROLES, type Environment, KUBERNETES_ROLES } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';
import { type EnvironmentInput, validate } from '../../platform/registry';
import { maybeTwingate } from '../../platform/twingate/settings';
import { mulberry32 } from './prng';

/** A minimal valid environment with Twingate on; tests override what they probe. */
export function baseInput(overrides: Partial<EnvironmentInput> = {}): EnvironmentInput {
  return {
    name: 'test',
    aws: { region: 'eu-west-2' },
    cluster: { name: 'test-eu', kubernetesVersion: '1.31' },
    network: { vpcCidr: '10.30.0.0/16', podCidr: '10.30.0.0/16', serviceCidr: '172.20.0.0/16' },
    namespaces: ['twingate', 'whoami'],
    apps: { whoami: { namespace: 'whoami', image: 'traefik/whoami:v1.10.3', ports: { http: { containerPort: 8080, servicePort: 80 } } } },
    groups: ['Engineering'],
    access: [{ group: 'Engineering', resources: ['whoami'], kubernetesRole: 'view' }],
    twingate: { network: 'acme' },
    components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway', 'argo-cd'],
    ...overrides,
  };
}

export function mustValidate(input: unknown): Environment {
  const result = validate(input);
  if ('problem' in result) throw new Error(`fixture invalid: ${result.problem.path}: ${result.problem.message}`);
  return result.env;
}

const GROUP_POOL = ['Engineering', 'Platform Admins', 'SRE On-Call', 'Contractors', 'Data Team', 'Everyone', 'twingate:authenticated', 'Okta Security'];
const APP_POOL = ['whoami', 'grafana', 'api', 'db-proxy', 'search'];
const NS_POOL = ['whoami', 'monitoring', 'backend', 'twingate'];
/** Namespaces of the platform components generateInput enables. */
export const GENERATED_PLATFORM_NAMESPACES = ['twingate'];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

function subset<T>(rnd: () => number, items: readonly T[], p = 0.5): T[] {
  return items.filter(() => rnd() < p);
}

/**
 * A random valid environment: 1-5 apps over up to 3 namespaces with TCP/UDP ports, a random
 * choice of declared groups (built-in, managed and gateway identities included; the rest IdP-synced), and one
 * access row for some of them with random resources and roles within the rules.
 */
export function generateInput(seed: number): EnvironmentInput {
  const rnd = mulberry32(seed);
  const apps: NonNullable<EnvironmentInput['apps']> = {};
  const appNames = subset(rnd, APP_POOL, 0.6);
  if (appNames.length === 0) appNames.push('whoami');
  for (const name of appNames) {
    const ports: Record<string, { containerPort: number; servicePort?: number; protocol?: 'TCP' | 'UDP' }> = {};
    const count = 1 + Math.floor(rnd() * 3);
    for (let i = 0; i < count; i++) {
      const containerPort = 8000 + i * 10 + Math.floor(rnd() * 5);
      ports[`p${i}`] = { containerPort, ...(rnd() < 0.5 ? { servicePort: 1000 + containerPort } : {}), protocol: rnd() < 0.25 ? 'UDP' : 'TCP' };
    }
    apps[name] = { namespace: pick(rnd, NS_POOL), image: 'traefik/whoami:v1.10.3', ports };
  }
  const groups = subset(rnd, GROUP_POOL, 0.6);
  if (groups.length === 0) groups.push('Engineering');
  const access: NonNullable<EnvironmentInput['access']> = [];
  let breakGlassGroup: string | undefined;
  for (const group of groups) {
    if (rnd() < 0.2) continue;
    const universal = group === 'Everyone' || group === 'twingate:authenticated';
    const gatewayOnly = group.startsWith('twingate:');
    const resources = gatewayOnly ? [] : subset(rnd, appNames, 0.6);
    // Namespaced roles need apps; edit/admin never for an app in a platform namespace.
    const inPlatform = resources.some((a) => GENERATED_PLATFORM_NAMESPACES.includes(apps[a]!.namespace));
    const roleDraw = rnd();
    const role = resources.length === 0 || roleDraw < 0.3 ? undefined : universal || inPlatform ? 'view' : pick(rnd, KUBERNETES_ROLES);
    const clusterDraw = rnd();
    let clusterRole = clusterDraw < 0.5 ? undefined : universal || gatewayOnly ? 'view' : pick(rnd, CLUSTER_ROLES);
    if (clusterRole === 'cluster-admin') {
      if (breakGlassGroup === undefined) breakGlassGroup = group;
      else clusterRole = 'view';
    }
    access.push({ group, resources, ...(role ? { kubernetesRole: role } : {}), ...(clusterRole ? { clusterRole } : {}) });
  }
  // Groups opted in for creation: never built-in, gateway-only or the break-glass group.
  const managedGroups = subset(
    rnd,
    groups.filter((g) => !g.startsWith('twingate:') && g !== 'Everyone' && g !== breakGlassGroup),
    0.3,
  );
  const prefix = rnd() < 0.3 ? { managedGroupPrefix: `team ${seed}` } : {};
  const chart = rnd() < 0.3;
  return baseInput({
    name: `gen-${seed}`,
    namespaces: [...new Set(['twingate', ...Object.values(apps).map((a) => a.namespace)])],
    apps,
    groups,
    access,
    ...(breakGlassGroup ? { breakGlassGroup } : {}),
    twingate: {
      network: 'acme',
      managedGroups,
      ...prefix,
      connectors: chart ? { mode: 'chart' } : { mode: 'operator', replicas: 1 + Math.floor(rnd() * 3) },
    },
    components: ['network-policy', 'cert-manager', 'external-secrets', 'twingate-operator', 'twingate-access-gateway'],
  });
}

const ANY_GROUP_POOL = [...GROUP_POOL, 'twingate:service-accounts'];
const ANY_KUBERNETES_ROLE = ['view', 'edit', 'admin', 'cluster-admin'];

/**
 * A random access table with no regard for the rules: any group, any apps (including apps in a
 * platform namespace), any role in either field, any break-glass group. Most are refused by
 * validation; the property tests check that the ones accepted stay within the rules.
 */
export function generateAttempt(seed: number): unknown {
  const rnd = mulberry32(seed);
  const base = generateInput(seed) as EnvironmentInput & { apps: Record<string, { namespace: string }> };
  const appNames = Object.keys(base.apps);
  for (const name of appNames) if (rnd() < 0.2) base.apps[name]!.namespace = 'twingate';
  const groups = [...new Set([...(base.groups ?? []), ...subset(rnd, ANY_GROUP_POOL, 0.3)])];
  const access = groups
    .filter(() => rnd() < 0.4)
    .map((group) => {
      const kubernetesRole = rnd() < 0.5 ? pick(rnd, ANY_KUBERNETES_ROLE) : undefined;
      const clusterRole = rnd() < 0.25 ? pick(rnd, ANY_KUBERNETES_ROLE) : undefined;
      const resources = group.startsWith('twingate:') && rnd() < 0.8 ? [] : subset(rnd, appNames, 0.5);
      return { group, resources, ...(kubernetesRole ? { kubernetesRole } : {}), ...(clusterRole ? { clusterRole } : {}) };
    });
  const breakGlassGroup = rnd() < 0.5 ? pick(rnd, groups) : undefined;
  return {
    ...base,
    namespaces: [...new Set([...(base.namespaces ?? []), ...Object.values(base.apps).map((a) => a.namespace)])],
    groups,
    access,
    ...(breakGlassGroup ? { breakGlassGroup } : { breakGlassGroup: undefined }),
  };
}

/** A rendered object, with the component it came from; `spec` is loosely typed for assertions. */
type RenderedObject = ApiObject & { component: string; spec: any };

/** All objects of one environment, with the component each came from. */
export function renderAll(env: Environment): RenderedObject[] {
  return renderEnvironment(env).flatMap((c) => c.objects.map((o) => ({ ...o, component: c.component }) as RenderedObject));
}

export const ofKind = <T = ApiObject & { spec: any }>(objects: readonly ApiObject[], kind: string) => objects.filter((o) => o.kind === kind) as T[];

/** The committed environments that use Twingate (those with a `twingate` block), in name order. */
export async function twingateEnvironments(): Promise<Environment[]> {
  return (await loadEnvironments()).filter((e) => maybeTwingate(e) !== undefined);
}
