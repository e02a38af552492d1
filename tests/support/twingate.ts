/**
 * Test fixtures for the Twingate suites: a small valid environment, a seeded generator of
 * random (valid) access tables, and lookups over rendered objects. No new dependency: the
 * generator is a 32-bit PRNG (mulberry32), so every failure names a seed that reproduces it.
 */
import { type Environment, KUBERNETES_ROLES } from '../../lib/environment';
import type { ApiObject } from '../../lib/output';
import { renderEnvironment } from '../../lib/synth';
import { type EnvironmentInput, validate } from '../../platform/registry';
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
    components: ['network-policy', 'twingate-operator', 'twingate-access-gateway'],
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
const NS_POOL = ['whoami', 'monitoring', 'backend'];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

function subset<T>(rnd: () => number, items: readonly T[], p = 0.5): T[] {
  return items.filter(() => rnd() < p);
}

/**
 * A random valid environment: 1-5 apps over up to 3 namespaces with TCP/UDP ports, a random
 * choice of declared groups (built-in, IdP-synced and gateway identities included), and one
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
  const idpGroups = subset(
    rnd,
    groups.filter((g) => !g.startsWith('twingate:') && g !== 'Everyone'),
    0.3,
  );
  const access: NonNullable<EnvironmentInput['access']> = [];
  for (const group of groups) {
    if (rnd() < 0.2) continue;
    const universal = group === 'Everyone' || group === 'twingate:authenticated';
    const gatewayOnly = group.startsWith('twingate:');
    const resources = gatewayOnly ? [] : subset(rnd, appNames, 0.6);
    const roleDraw = rnd();
    const role = roleDraw < 0.3 ? undefined : universal ? 'view' : pick(rnd, KUBERNETES_ROLES);
    access.push({ group, resources, ...(role ? { kubernetesRole: role } : {}) });
  }
  const chart = rnd() < 0.3;
  return baseInput({
    name: `gen-${seed}`,
    namespaces: ['twingate', ...new Set(Object.values(apps).map((a) => a.namespace))],
    apps,
    groups,
    access,
    twingate: {
      network: 'acme',
      idpGroups,
      connectors: chart ? { mode: 'chart' } : { mode: 'operator', replicas: 1 + Math.floor(rnd() * 3) },
    },
    components: ['network-policy', 'twingate-operator', 'twingate-access-gateway'],
  });
}

/** A rendered object, with the component it came from; `spec` is loosely typed for assertions. */
type RenderedObject = ApiObject & { component: string; spec: any };

/** All objects of one environment, with the component each came from. */
export function renderAll(env: Environment): RenderedObject[] {
  return renderEnvironment(env).flatMap((c) => c.objects.map((o) => ({ ...o, component: c.component }) as RenderedObject));
}

export const ofKind = <T = ApiObject & { spec: any }>(objects: readonly ApiObject[], kind: string) => objects.filter((o) => o.kind === kind) as T[];
