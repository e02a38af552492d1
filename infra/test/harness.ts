/**
 * Builds environments under the Pulumi mocks of ./mocks and hands tests the recorded
 * resources and fully resolved outputs. {@link build} waits for every registration and
 * resolves outputs, because an assertion inside an un-awaited `apply` would pass without running.
 */
// First: the mocks must be installed before the program's modules load.

import * as pulumi from '@pulumi/pulumi';
import { beforeAll } from 'vitest';
import { loadArgoConfig } from '../../argocd/settings';
import type { Environment } from '../../lib/environment';
import { loadEnvironments } from '../../lib/load';
import { buildInfra } from '../src/build';
import { buildLatticeShared, latticeUnitsOf, readLatticeShared, sharedStackName } from '../src/lattice';
import { FAKE_OPERATOR_KEY, type Recorded, recorded, stackOutputs } from './mocks';

export { FAKE_OPERATOR_KEY, FAKE_SECRET_MARK, type Recorded } from './mocks';

/** Waits until the program has no registration or call in flight (internal SDK hook). */
export async function settle(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof runtime.waitForRPCs !== 'function') throw new Error('@pulumi/pulumi no longer exposes runtime.waitForRPCs; update the test harness');
  await runtime.waitForRPCs();
}

interface Resolved<T> {
  readonly value: T;
  readonly secret: boolean;
}

/** The value of an output, and whether it is secret. */
async function resolve<T>(o: pulumi.Output<T>): Promise<Resolved<T>> {
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

/** A resource class of a provider SDK, or a type token such as `pulumi:providers:aws`. */
export type ResourceType = string | (abstract new (...args: never[]) => pulumi.Resource);

/** The type token of a resource class (generated SDK classes carry it as `__pulumiType`). */
export function typeToken(type: ResourceType): string {
  if (typeof type === 'string') return type;
  const token = (type as unknown as { __pulumiType?: unknown }).__pulumiType;
  if (typeof token !== 'string') throw new Error(`${type.name} has no __pulumiType`);
  return token;
}

export interface Built {
  readonly env: Environment;
  /** The program's outputs, fully resolved. */
  readonly outputs: any;
  /** Paths of outputs that were secret (there should be none). */
  readonly secretOutputs: string[];
  /** Resources of this environment only (its providers, and resources created with them). */
  readonly resources: Recorded[];
  /** Resources of a type: a resource class (`aws.eks.Cluster`) or a type token. */
  of(type: ResourceType): Recorded[];
  one(type: ResourceType, name: string): Recorded;
}

let argo: ReturnType<typeof loadArgoConfig> | undefined;
/** argocd/config.ts, as the entry point loads it (once per test file). */
export function argoConfig(): ReturnType<typeof loadArgoConfig> {
  argo ??= loadEnvironments().then((envs) => loadArgoConfig(envs.map((e) => e.name)));
  return argo;
}

/** Builds one environment; `environments` are the others loaded beside it (a VPC Lattice unit's sibling clusters). */
export async function build(env: Environment, environments?: readonly Environment[]): Promise<Built> {
  const latticeShared = await readLatticeShared(env);
  const outputs = buildInfra(env, { operatorApiKey: pulumi.secret(FAKE_OPERATOR_KEY), argo: await argoConfig(), environments, latticeShared });
  const secretOutputs: string[] = [];
  const resolved = await resolveDeep(outputs, '', secretOutputs);
  await settle();
  const mine = (r: Recorded) =>
    r.provider.includes(`::aws-${env.name}::`) ||
    r.provider.includes(`::twingate-${env.name}::`) ||
    r.provider.includes(`::tailscale-${env.name}::`) ||
    (r.type.startsWith('pulumi:providers:') && r.name.endsWith(`-${env.name}`));
  const resources = recorded.filter(mine);
  return {
    env,
    outputs: resolved,
    secretOutputs,
    resources,
    of: (type) => resources.filter((r) => r.type === typeToken(type)),
    one: (type, name) => {
      const found = resources.filter((r) => r.type === typeToken(type) && r.name === name);
      if (found.length !== 1) throw new Error(`${env.name}: ${found.length} ${type} named ${name}`);
      return found[0]!;
    },
  };
}

/** Builds every environment of environments/ (in order, so registrations do not interleave). */
async function buildAll(): Promise<Built[]> {
  // Environments without an infra block (lab: a Tailscale-only cluster) are not built by the program.
  const envs = (await loadEnvironments()).filter((e) => e.infra);
  // A multi-cluster environment's shared stack first, as `pulumi up --stack <env>` precedes its
  // cluster stacks (docs/infra.md): its outputs are what the cluster stacks read.
  for (const environment of new Set(envs.flatMap((e) => (e.settings.vpcLattice ? [(e.settings.vpcLattice as { environment: string }).environment] : [])))) {
    const units = latticeUnitsOf(envs, environment);
    const outputs = (await resolveDeep(buildLatticeShared(environment, units))) as Record<string, unknown>;
    await settle();
    // As if the user had copied the stack's environmentFile outputs into the file (the mocks'
    // account and certificate are not the file's; infra/test/lattice.test.ts covers a mismatch).
    const view = units[0]!.settings.vpcLattice as { accountId: string; certificateArn: string };
    const file = outputs.environmentFile as Record<string, unknown>;
    stackOutputs.set(sharedStackName(environment), {
      ...outputs,
      environmentFile: { ...file, accountId: view.accountId, certificateArn: view.certificateArn },
    });
  }
  const out: Built[] = [];
  for (const env of envs) out.push(await build(env, envs));
  return out;
}

/** Every environment, built once before the file's tests run; the array fills in `beforeAll`. */
export function builtEnvironments(): readonly Built[] {
  const built: Built[] = [];
  beforeAll(async () => {
    built.push(...(await buildAll()));
  });
  return built;
}

/** A Pulumi secret as it arrives in mock inputs: a signature-tagged wrapper. */
export function isSecretInput(v: unknown): boolean {
  return !!v && typeof v === 'object' && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}
