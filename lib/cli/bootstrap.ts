/**
 * `pnpm bootstrap --env <env>`: from a cluster `pulumi up` just created to one Argo CD syncs.
 * Reads the stack outputs (or a saved copy), then with kubectl: the Argo CD Namespace, Argo CD
 * itself from dist/<env>/argo-cd/ (CRDs first, until Established; then the rest, until rolled
 * out), the cluster Secret infra built (argocd/cluster-secret.ts), and the bootstrap AppProject
 * and root Application from dist/argocd/. Everything applied is rendered or computed: no YAML
 * is written by hand.
 *
 * Argo CD's objects go in with server-side apply under Argo CD's own field manager
 * (`argocd-controller`), so when the root Application takes them over, Argo CD owns the same
 * fields and its first sync is a no-op instead of a conflict.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { BOOTSTRAP_PROJECT, ROOT_APPLICATION } from '../../argocd/bootstrap';
import { CLUSTER_SECRET_TYPE, type ClusterSecret } from '../../argocd/cluster-secret';
import { METADATA_FILE, VALUES_FILE } from '../../argocd/component-metadata';
import { ARGOCD_DIR, type ArgoConfig, loadArgoConfig } from '../../argocd/settings';
import { namespaces } from '../../platform/namespaces';
import { UserError } from '../errors';
import { loadEnvironments, REPO_ROOT } from '../load';
import { type ApiObject, fileNameFor } from '../output';
import { guard, type Io, processIo, runIfMain } from './run';

/** The directory of the Argo CD component under dist/<env>/. */
export { ARGO_CD_COMPONENT } from '../../platform/argo-cd';

import { ARGO_CD_COMPONENT } from '../../platform/argo-cd';
/** Argo CD's server-side apply field manager: what the application controller applies as. */
export const ARGOCD_FIELD_MANAGER = 'argocd-controller';
/** The cluster Secret is infra's, not Argo CD's: a manager of its own. */
export const BOOTSTRAP_FIELD_MANAGER = 'zt-eks-bootstrap';
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'] as const;

/** The stack outputs bootstrap reads (infra/src/build.ts). */
interface InfraOutputs {
  readonly environment: string;
  readonly region: string;
  readonly cluster: { readonly name: string; readonly endpoint: string };
  readonly bootstrap: { readonly roleArn: string; readonly twingateGroup: string; readonly twingateResource: string };
  readonly argocdClusterSecret: ClusterSecret;
}

interface Step {
  readonly title: string;
  readonly args: readonly string[];
  /** Fed to kubectl's stdin (`-f -`). */
  readonly input?: string;
  /** A failure whose message matches is retried every second until `--timeout` passes. */
  readonly retryWhile?: RegExp;
}

/**
 * `kubectl wait --for=condition=...` gives up at once instead of waiting when the object has
 * `status.conditions: null`, which a just-created CustomResourceDefinition has for a moment
 * (found by `pnpm e2e --tier 2` on a real API server).
 */
export const CONDITIONS_NOT_YET = /\.status\.conditions accessor error: <nil> is of the type <nil>/;

interface Options {
  env: string;
  outputs?: string;
  context?: string;
  dist: string;
  timeout: string;
  dryRun?: boolean;
}

/** POSIX shell quoting, only where needed: what `--dry-run` prints can be pasted into a shell. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const firstLine = (s: string | undefined) =>
  (s ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0) ?? '';

/** `pulumi stack output --json --stack <env>` in infra/, or the saved copy. */
function readOutputs(opts: Options): { outputs: InfraOutputs; source: string } {
  let text: string;
  let source: string;
  if (opts.outputs) {
    source = relative(process.cwd(), resolve(opts.outputs)) || opts.outputs;
    if (!existsSync(opts.outputs)) throw new UserError(`--outputs ${source} does not exist`);
    text = readFileSync(opts.outputs, 'utf8');
  } else {
    const args = ['stack', 'output', '--json', '--stack', opts.env];
    source = `pulumi ${args.join(' ')}`;
    const run = spawnSync('pulumi', args, { cwd: join(REPO_ROOT, 'infra'), encoding: 'utf8' });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new UserError('pulumi not found on PATH; install the Pulumi CLI, or pass --outputs <file> (a saved `pulumi stack output --json`)');
    }
    if (run.status !== 0) throw new UserError(`${source} (in infra/) failed: ${firstLine(run.stderr) || `exit ${run.status}`}`);
    text = run.stdout;
  }
  let outputs: InfraOutputs;
  try {
    outputs = JSON.parse(text) as InfraOutputs;
  } catch {
    throw new UserError(`${source}: not JSON (expected the output of pulumi stack output --json)`);
  }
  if (outputs?.environment !== opts.env) {
    throw new UserError(`${source}: the outputs are of environment ${JSON.stringify(outputs?.environment)}, not ${JSON.stringify(opts.env)}`);
  }
  for (const field of ['cluster', 'bootstrap', 'argocdClusterSecret'] as const) {
    if (!outputs[field]) throw new UserError(`${source}: no ${field} output; run pulumi up in infra/ with this version of the repository first`);
  }
  return { outputs, source };
}

/** The cluster Secret must be what the ApplicationSets select today, not what they selected at the last `pulumi up`. */
function checkClusterSecret(secret: ClusterSecret, config: ArgoConfig, env: string, source: string): void {
  const labels = secret.metadata.labels as Record<string, string>;
  const expected = { ...CLUSTER_SECRET_TYPE, [config.clusterLabel]: env };
  for (const [key, value] of Object.entries(expected)) {
    if (labels[key] !== value) {
      throw new UserError(
        `${source}: argocdClusterSecret lacks the label ${key}=${value} that argocd/config.ts selects on; run pulumi up in infra/ to rebuild it`,
      );
    }
  }
  if (secret.metadata.namespace !== config.namespace) {
    throw new UserError(
      `${source}: argocdClusterSecret is in namespace ${secret.metadata.namespace}, argocd/config.ts says ${config.namespace}; run pulumi up in infra/`,
    );
  }
}

/** Objects of a rendered directory, by file, sorted (the bookkeeping files are not objects). */
function objectsOf(dir: string): { file: string; obj: ApiObject }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== VALUES_FILE && f !== METADATA_FILE)
    .sort()
    .map((f) => ({ file: join(dir, f), obj: parse(readFileSync(join(dir, f), 'utf8')) as ApiObject }));
}

/** The kubectl steps, derived from dist/ and the outputs; nothing runs here. */
export function plan(opts: Options, config: ArgoConfig, outputs: InfraOutputs): { steps: Step[]; cwd: string } {
  const dist = resolve(opts.dist);
  const cwd = dirname(dist);
  const shown = (p: string) => relative(cwd, p);
  const need = (path: string, hint: string) => {
    if (!existsSync(path)) throw new UserError(`${shown(path)} does not exist; ${hint}`);
    return path;
  };
  const synth = `run pnpm synth --env ${opts.env}`;
  need(join(dist, opts.env), synth);
  const nsFile = need(
    join(dist, opts.env, namespaces.name, fileNameFor({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: config.namespace } })),
    `enable the ${ARGO_CD_COMPONENT} component in environments/${opts.env}.ts (it adds the namespace ${config.namespace}) and ${synth}`,
  );
  const argoDir = need(join(dist, opts.env, ARGO_CD_COMPONENT), `enable the ${ARGO_CD_COMPONENT} component in environments/${opts.env}.ts and ${synth}`);
  if (!statSync(argoDir).isDirectory()) throw new UserError(`${shown(argoDir)} is not a directory`);
  const argoDirShown = shown(argoDir);
  const objects = objectsOf(argoDir);
  const crds = objects.filter((o) => o.obj.kind === 'CustomResourceDefinition');
  const rest = objects.filter((o) => o.obj.kind !== 'CustomResourceDefinition');
  if (crds.length === 0) throw new UserError(`${argoDirShown} holds no CustomResourceDefinition; ${synth}`);
  const workloads = rest.filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.obj.kind));
  if (workloads.length === 0) throw new UserError(`${argoDirShown} holds no Deployment or StatefulSet; ${synth}`);
  const argoFile = (kind: string, name: string) =>
    need(
      join(dist, ARGOCD_DIR, fileNameFor({ apiVersion: 'argoproj.io/v1alpha1', kind, metadata: { name, namespace: config.namespace } })),
      'run pnpm synth (every environment: it renders dist/argocd/)',
    );
  const project = argoFile('AppProject', BOOTSTRAP_PROJECT);
  const root = argoFile('Application', ROOT_APPLICATION);

  const kubectl = (...args: string[]) => [...(opts.context ? ['--context', opts.context] : []), ...args];
  const apply = (manager: string, files: readonly string[]) =>
    kubectl('apply', '--server-side', '--force-conflicts', `--field-manager=${manager}`, ...files.flatMap((f) => ['-f', shown(f)]));
  const secret = outputs.argocdClusterSecret;
  return {
    cwd,
    steps: [
      {
        title: `check that kubectl points at ${outputs.cluster.name}`,
        args: kubectl('config', 'view', '--minify', '--output=jsonpath={.clusters[0].cluster.server}'),
      },
      { title: `check that the API server answers`, args: kubectl('version', '--output=json', '--request-timeout=15s') },
      { title: `apply the Namespace ${config.namespace}`, args: apply(ARGOCD_FIELD_MANAGER, [nsFile]) },
      {
        title: `apply Argo CD's ${crds.length} CustomResourceDefinitions`,
        args: apply(
          ARGOCD_FIELD_MANAGER,
          crds.map((c) => c.file),
        ),
      },
      {
        title: 'wait until they are Established',
        args: kubectl(
          'wait',
          '--for=condition=Established',
          `--timeout=${opts.timeout}`,
          ...crds.map((c) => `customresourcedefinition/${c.obj.metadata.name}`),
        ),
        retryWhile: CONDITIONS_NOT_YET,
      },
      {
        title: `apply the other ${rest.length} objects of ${argoDirShown}`,
        args: apply(
          ARGOCD_FIELD_MANAGER,
          rest.map((o) => o.file),
        ),
      },
      ...workloads.map((w) => ({
        title: `wait for the rollout of ${w.obj.kind} ${w.obj.metadata.name}`,
        args: kubectl(
          'rollout',
          'status',
          `--namespace=${w.obj.metadata.namespace ?? config.namespace}`,
          `--timeout=${opts.timeout}`,
          `${w.obj.kind.toLowerCase()}/${w.obj.metadata.name}`,
        ),
      })),
      {
        title: `apply the cluster Secret ${secret.metadata.name} (${config.clusterLabel}=${opts.env}, from the infra outputs)`,
        args: kubectl('apply', '--server-side', '--force-conflicts', `--field-manager=${BOOTSTRAP_FIELD_MANAGER}`, '-f', '-'),
        input: `${JSON.stringify(secret, null, 2)}\n`,
      },
      { title: `apply the AppProject ${BOOTSTRAP_PROJECT}`, args: apply(ARGOCD_FIELD_MANAGER, [project]) },
      { title: `apply the root Application ${ROOT_APPLICATION}`, args: apply(ARGOCD_FIELD_MANAGER, [root]) },
    ],
  };
}

/** The command as a shell line; stdin as a here-document. */
function commandLine(step: Step): string {
  const line = ['kubectl', ...step.args].map(shellQuote).join(' ');
  return step.input === undefined ? line : `${line} <<'EOF'\n${step.input}EOF`;
}

/** `https://X.gr7.eu-west-2.eks.amazonaws.com/` and `https://x.gr7...` are the same server. */
const sameServer = (a: string, b: string) => a.trim().replace(/\/+$/, '').toLowerCase() === b.trim().replace(/\/+$/, '').toLowerCase();

/** `5m` as milliseconds (the option is checked against /^\d+(s|m|h)$/ first). */
const durationMs = (d: string) => Number(d.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[d.slice(-1) as 's' | 'm' | 'h'];

function run(step: Step, index: number, total: number, cwd: string, opts: Options, outputs: InfraOutputs): string {
  const deadline = Date.now() + durationMs(opts.timeout);
  let r = spawnSync('kubectl', step.args, { cwd, encoding: 'utf8', input: step.input ?? '', maxBuffer: 64 * 1024 * 1024 });
  while (r.status !== 0 && step.retryWhile?.test(r.stderr) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    r = spawnSync('kubectl', step.args, { cwd, encoding: 'utf8', input: step.input ?? '', maxBuffer: 64 * 1024 * 1024 });
  }
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new UserError('kubectl not found on PATH; install kubectl (1.28 or newer), or use --dry-run to print the commands');
  }
  if (r.error) throw r.error;
  const context = opts.context ? `context ${opts.context}` : 'the current context';
  if (r.status !== 0) {
    const why = firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.status}`;
    if (step.args.includes('version')) {
      throw new UserError(
        `cannot reach the Kubernetes API of ${opts.env} through ${context} (${why}); the endpoint is private: connect Twingate as a member of ${JSON.stringify(outputs.bootstrap.twingateGroup)}, which reaches the resource ${JSON.stringify(outputs.bootstrap.twingateResource)} through the aws-network connectors`,
      );
    }
    throw new UserError(`step ${index + 1}/${total} (${step.title}) failed: ${why}`);
  }
  return r.stdout;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('bootstrap')
      .description("Install Argo CD on an environment's new cluster from dist/, then apply the cluster Secret and the root Application")
      .requiredOption('--env <env>', 'environment (the Pulumi stack of the same name)')
      .option('--outputs <file>', 'a saved `pulumi stack output --json` instead of asking Pulumi')
      .option('--context <name>', 'kubectl context (default: the current one)')
      .option('--dist <dir>', 'rendered tree', join(REPO_ROOT, 'dist'))
      .option('--timeout <duration>', 'how long to wait for the CRDs and each rollout', '5m')
      .option('--dry-run', 'print the kubectl commands; run none')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const opts = program.opts<Options>();
    if (!/^\d+(s|m|h)$/.test(opts.timeout)) throw new UserError(`--timeout ${JSON.stringify(opts.timeout)} is not a duration like 300s, 5m or 1h`);

    const envs = await loadEnvironments();
    if (!envs.some((e) => e.name === opts.env)) {
      throw new UserError(`unknown environment ${JSON.stringify(opts.env)} (known: ${envs.map((e) => e.name).join(', ')})`);
    }
    const config = await loadArgoConfig(envs.map((e) => e.name));
    const { outputs, source } = readOutputs(opts);
    checkClusterSecret(outputs.argocdClusterSecret, config, opts.env, source);
    const { steps, cwd } = plan(opts, config, outputs);

    const context = opts.context ? `context ${opts.context}` : 'the current kubectl context';
    io.out(
      `bootstrap ${opts.env}: cluster ${outputs.cluster.name} (${outputs.cluster.endpoint}) through ${context}${opts.dryRun ? '; dry run: nothing is run' : ''}`,
    );
    for (const [i, step] of steps.entries()) {
      io.out(`[${i + 1}/${steps.length}] ${step.title}`);
      io.out(`  $ ${commandLine(step).replace(/\n/g, '\n    ')}`);
      if (opts.dryRun) continue;
      const stdout = run(step, i, steps.length, cwd, opts, outputs);
      if (i === 0 && !sameServer(stdout, outputs.cluster.endpoint)) {
        const role = outputs.bootstrap.roleArn;
        throw new UserError(
          `${context} points at ${JSON.stringify(stdout.trim())}, not ${outputs.cluster.name} (${outputs.cluster.endpoint}); run: aws eks update-kubeconfig --name ${outputs.cluster.name} --region ${outputs.region} --role-arn ${role} --alias ${opts.env}, then pnpm bootstrap --env ${opts.env} --context ${opts.env}`,
        );
      }
    }
    if (!opts.dryRun)
      io.out(
        `bootstrap ${opts.env}: done; Argo CD now syncs dist/${ARGOCD_DIR}/ from ${config.repoURL} (watch: kubectl get applications -n ${config.namespace})`,
      );
    return 0;
  });
}

runIfMain(module, main);
