/**
 * Pulumi mocks for the infra tests: no engine, no CLI, no provider plugins. Every registered
 * resource is recorded with its inputs, so tests assert on what the program asked AWS and
 * Twingate for. Import this module before anything that imports the program (setMocks must
 * run first), and build environments through {@link build}, which waits for every
 * registration and resolves the outputs (an assertion inside an un-awaited `apply` would pass
 * without running).
 */
import * as pulumi from '@pulumi/pulumi';
import type { Environment } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';

export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider: string;
}

/** Fake token values the mocked Twingate provider returns; they must never reach a plain output. */
export const FAKE_SECRET_MARK = 'FAKE-SECRET-';
export const ACCOUNT = '123456789012';

const recorded: Recorded[] = [];

function computed(a: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const [pkg, mod] = a.type.split(':') as [string, string];
  const service = mod.split('/')[0];
  const base: Record<string, unknown> = { name: a.inputs.name ?? a.name };
  if (pkg === 'aws') base.arn = `arn:aws:${service}:mock-region:${ACCOUNT}:${a.type.split(':')[2]!.toLowerCase()}/${a.inputs.name ?? a.name}`;
  switch (a.type) {
    case 'aws:eks/cluster:Cluster':
      return { ...base, endpoint: `https://0123456789ABCDEF.gr7.mock-region.eks.amazonaws.com` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { ...base, latestVersion: 1 };
    case 'aws:kms/key:Key':
      return { ...base, keyId: `key-${a.name}` };
    case 'twingate:index/twingateConnectorTokens:TwingateConnectorTokens':
      return { accessToken: `${FAKE_SECRET_MARK}access-${a.name}`, refreshToken: `${FAKE_SECRET_MARK}refresh-${a.name}` };
    default:
      return base;
  }
}

pulumi.runtime.setMocks(
  {
    newResource: (a) => {
      recorded.push({ type: a.type, name: a.name, inputs: a.inputs, provider: a.provider ?? '' });
      return { id: `${a.name}-id`, state: { ...computed(a), ...a.inputs } };
    },
    call: (a) => {
      switch (a.token) {
        case 'aws:index/getAvailabilityZones:getAvailabilityZones':
          return { names: ['mock-1a', 'mock-1b', 'mock-1c', 'mock-1d', 'mock-1e', 'mock-1f'], id: 'zones' };
        case 'aws:index/getPartition:getPartition':
          return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
        case 'aws:ssm/getParameter:getParameter':
          return { name: a.inputs.name, value: 'ami-0123456789abcdef0', id: a.inputs.name };
        case 'twingate:index/getTwingateGroups:getTwingateGroups':
          return { id: 'groups', groups: [{ id: `group-${a.inputs.name}`, name: a.inputs.name, isActive: true, type: 'MANUAL' }] };
        default:
          throw new Error(`unmocked call ${a.token}`);
      }
    },
  },
  'zt-eks-infra',
  'test',
  false, // not a preview: apply() callbacks run
);

/** Waits until the program has no registration or call in flight (internal SDK hook). */
async function settle(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof runtime.waitForRPCs !== 'function') throw new Error('@pulumi/pulumi no longer exposes runtime.waitForRPCs; update the test harness');
  await runtime.waitForRPCs();
}

export interface Resolved<T> {
  readonly value: T;
  readonly secret: boolean;
}

/** The value of an output, and whether it is secret. */
export async function resolve<T>(o: pulumi.Output<T>): Promise<Resolved<T>> {
  const [value, secret] = await Promise.all([new Promise<T>((r) => o.apply(r)), pulumi.isSecret(o)]);
  return { value, secret };
}

/** Deeply resolves a structure of outputs; `secrets` collects the paths of secret outputs. */
export async function resolveDeep(value: unknown, path = '', secrets: string[] = []): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const r = await resolve(value as pulumi.Output<unknown>);
    if (r.secret) secrets.push(path);
    return resolveDeep(r.value, path, secrets);
  }
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolveDeep(v, `${path}[${i}]`, secrets)));
  if (value && typeof value === 'object') {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v, path ? `${path}.${k}` : k, secrets)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

export interface Built {
  readonly env: Environment;
  /** The program's outputs, fully resolved. */
  readonly outputs: any;
  /** Paths of outputs that were secret (there should be none). */
  readonly secretOutputs: string[];
  /** Resources of this environment only (its providers, and resources created with them). */
  readonly resources: Recorded[];
  of(type: string): Recorded[];
  one(type: string, name: string): Recorded;
}

/** A fake the operator API key input; obviously not a key. */
export const FAKE_OPERATOR_KEY = `${FAKE_SECRET_MARK}operator-api-key`;

export async function build(env: Environment): Promise<Built> {
  const { buildInfra } = await import('../src/build');
  const outputs = buildInfra(env, { operatorApiKey: pulumi.secret(FAKE_OPERATOR_KEY) });
  const secretOutputs: string[] = [];
  const resolved = await resolveDeep(outputs, '', secretOutputs);
  await settle();
  const mine = (r: Recorded) =>
    r.provider.includes(`::aws-${env.name}::`) || r.provider.includes(`::twingate-${env.name}::`) || (r.type.startsWith('pulumi:providers:') && r.name.endsWith(`-${env.name}`));
  const resources = recorded.filter(mine);
  return {
    env,
    outputs: resolved,
    secretOutputs,
    resources,
    of: (type) => resources.filter((r) => r.type === type),
    one: (type, name) => {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`${env.name}: ${found.length} ${type} named ${name}`);
      return found[0]!;
    },
  };
}

/** Builds every environment of environments/, once per test file. */
export async function buildAll(): Promise<Built[]> {
  const envs = await loadEnvironments();
  const out: Built[] = [];
  for (const env of envs) out.push(await build(env));
  return out;
}

/** A Pulumi secret as it arrives in mock inputs: a signature-tagged wrapper. */
export function isSecretInput(v: unknown): boolean {
  return !!v && typeof v === 'object' && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}
