/**
 * `pnpm bootstrap`: run in-process against a fake `kubectl` (and `pulumi`) on PATH that records
 * its argv, stdin and working directory, over a fixture dist/ tree shaped like synth's output
 * (the argo-cd component's objects, the namespaces component, dist/argocd/).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { clusterSecret } from '../../../argocd/cluster-secret';
import { type ArgoConfig, loadArgoConfig } from '../../../argocd/settings';
import { main } from '../../../lib/cli/bootstrap';
import { loadEnvironments } from '../../../lib/load';
import { captureIo, REPO, tempDir } from '../../support';

const SERVER = 'https://0123456789ABCDEF.gr7.eu-west-2.eks.amazonaws.com';

/** A kubectl that logs one JSON line per call and answers like a reachable dev cluster, unless told otherwise. */
const FAKE_KUBECTL = `#!/usr/bin/env node
const fs = require('node:fs');
const argv = process.argv.slice(2);
const stdin = argv.includes('-') ? fs.readFileSync(0, 'utf8') : undefined;
fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify({ tool: 'kubectl', argv, stdin, cwd: process.cwd() }) + '\\n');
const line = argv.join(' ');
if (argv.includes('config')) { process.stdout.write(process.env.FAKE_SERVER); process.exit(0); }
if (argv.includes('version') && process.env.FAKE_UNREACHABLE) {
  process.stderr.write('Unable to connect to the server: dial tcp 10.10.250.4:443: i/o timeout\\n');
  process.exit(1);
}
// kubectl 1.34 on a CRD created a moment ago (status.conditions still null): fail the first N waits.
if (argv.includes('wait') && process.env.FAKE_NULL_CONDITIONS) {
  const count = fs.readFileSync(process.env.FAKE_LOG, 'utf8').split('\\n').filter((l) => l.includes('"wait"')).length;
  if (count <= Number(process.env.FAKE_NULL_CONDITIONS)) {
    process.stderr.write('error: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}\\n');
    process.exit(1);
  }
}
if (process.env.FAKE_FAIL && line.includes(process.env.FAKE_FAIL)) {
  process.stderr.write('error: the server could not find the requested resource\\n');
  process.exit(1);
}
`;

/** A pulumi that logs its call and prints the saved outputs. */
const FAKE_PULUMI = `#!/usr/bin/env node
const fs = require('node:fs');
fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify({ tool: 'pulumi', argv: process.argv.slice(2), cwd: process.cwd() }) + '\\n');
process.stdout.write(fs.readFileSync(process.env.FAKE_OUTPUTS, 'utf8'));
`;

let config: ArgoConfig;
let root: string;
let bin: string;
let log: string;
let outputsFile: string;
const savedEnv = { ...process.env };

const obj = (apiVersion: string, kind: string, name: string, namespace?: string) => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

/** The infra outputs of dev, the cluster Secret built by the same function infra calls. */
function outputs(env = 'dev') {
  return {
    environment: env,
    region: 'eu-west-2',
    cluster: { name: 'dev-eu', endpoint: SERVER },
    bootstrap: { roleArn: 'arn:aws:iam::111122223333:role/zt-eks-bootstrap', twingateGroup: 'Platform Admins', twingateResource: 'dev EKS API (dev-eu)' },
    argocdClusterSecret: clusterSecret(config, {
      environment: 'dev',
      clusterName: 'dev-eu',
      accountId: '111122223333',
      region: 'eu-west-2',
      vpcId: 'vpc-0fake',
      externalSecrets: { namespace: 'external-secrets', serviceAccount: 'external-secrets', roleArn: 'arn:aws:iam::111122223333:role/dev-external-secrets' },
    }),
  };
}

/** dist/ as synth writes it for dev once the argo-cd component is on (two CRDs, one Deployment, one StatefulSet). */
function fixtureDist(): void {
  const write = (path: string, o: unknown) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), stringify(o));
  };
  write('dist/dev/namespaces/namespace.argocd.yaml', obj('v1', 'Namespace', 'argocd'));
  write(
    'dist/dev/argo-cd/customresourcedefinition.applications.argoproj.io.yaml',
    obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'applications.argoproj.io'),
  );
  write(
    'dist/dev/argo-cd/customresourcedefinition.appprojects.argoproj.io.yaml',
    obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'appprojects.argoproj.io'),
  );
  write('dist/dev/argo-cd/clusterrole.argocd-server.yaml', obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'argocd-server'));
  write('dist/dev/argo-cd/deployment.argocd.argocd-server.yaml', obj('apps/v1', 'Deployment', 'argocd-server', 'argocd'));
  write('dist/dev/argo-cd/statefulset.argocd.argocd-application-controller.yaml', obj('apps/v1', 'StatefulSet', 'argocd-application-controller', 'argocd'));
  writeFileSync(join(root, 'dist/dev/argo-cd/component.json'), '{}\n');
  writeFileSync(join(root, 'dist/dev/argo-cd/values.yaml'), 'server: {}\n');
  mkdirSync(join(root, 'dist/argocd'), { recursive: true });
  for (const f of ['appproject.argocd.bootstrap.yaml', 'application.argocd.root.yaml']) cpSync(join(REPO, 'dist/argocd', f), join(root, 'dist/argocd', f));
}

const calls = (): { tool: string; argv: string[]; stdin?: string; cwd: string }[] =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];

async function bootstrap(...args: string[]) {
  const io = captureIo();
  const code = await main(['--env', 'dev', '--dist', join(root, 'dist'), ...args], io);
  return { code, ...io.lines };
}

const APPLY = ['apply', '--server-side', '--force-conflicts', '--field-manager=argocd-controller'];
/** The kubectl argv of every step, in order, for the fixture tree. */
const EXPECTED = [
  ['config', 'view', '--minify', '--output=jsonpath={.clusters[0].cluster.server}'],
  ['version', '--output=json', '--request-timeout=15s'],
  [...APPLY, '-f', 'dist/dev/namespaces/namespace.argocd.yaml'],
  [
    ...APPLY,
    '-f',
    'dist/dev/argo-cd/customresourcedefinition.applications.argoproj.io.yaml',
    '-f',
    'dist/dev/argo-cd/customresourcedefinition.appprojects.argoproj.io.yaml',
  ],
  [
    'wait',
    '--for=condition=Established',
    '--timeout=5m',
    'customresourcedefinition/applications.argoproj.io',
    'customresourcedefinition/appprojects.argoproj.io',
  ],
  [
    ...APPLY,
    '-f',
    'dist/dev/argo-cd/clusterrole.argocd-server.yaml',
    '-f',
    'dist/dev/argo-cd/deployment.argocd.argocd-server.yaml',
    '-f',
    'dist/dev/argo-cd/statefulset.argocd.argocd-application-controller.yaml',
  ],
  ['rollout', 'status', '--namespace=argocd', '--timeout=5m', 'deployment/argocd-server'],
  ['rollout', 'status', '--namespace=argocd', '--timeout=5m', 'statefulset/argocd-application-controller'],
  ['apply', '--server-side', '--force-conflicts', '--field-manager=zt-eks-bootstrap', '-f', '-'],
  [...APPLY, '-f', 'dist/argocd/appproject.argocd.bootstrap.yaml'],
  [...APPLY, '-f', 'dist/argocd/application.argocd.root.yaml'],
];

beforeEach(async () => {
  config ??= await loadArgoConfig((await loadEnvironments()).map((e) => e.name));
  root = tempDir('zt-bootstrap-');
  bin = join(root, 'bin');
  mkdirSync(bin);
  for (const [name, source] of [
    ['kubectl', FAKE_KUBECTL],
    ['pulumi', FAKE_PULUMI],
  ] as const) {
    writeFileSync(join(bin, name), source);
    chmodSync(join(bin, name), 0o755);
  }
  log = join(root, 'calls.jsonl');
  outputsFile = join(root, 'outputs.json');
  writeFileSync(outputsFile, JSON.stringify(outputs()));
  fixtureDist();
  Object.assign(process.env, { PATH: `${bin}:${savedEnv.PATH}`, FAKE_LOG: log, FAKE_SERVER: `${SERVER}/`, FAKE_OUTPUTS: outputsFile });
});

afterEach(() => {
  for (const k of ['FAKE_LOG', 'FAKE_SERVER', 'FAKE_OUTPUTS', 'FAKE_UNREACHABLE', 'FAKE_FAIL', 'FAKE_NULL_CONDITIONS']) delete process.env[k];
  process.env.PATH = savedEnv.PATH;
});

describe('pnpm bootstrap', () => {
  it('is the bootstrap script of package.json', () => {
    expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts.bootstrap).toBe('tsx lib/cli/bootstrap.ts');
  });

  it('runs kubectl in order: context, reachability, Namespace, CRDs until Established, the rest, rollouts, cluster Secret, AppProject, root', async () => {
    const r = await bootstrap('--outputs', outputsFile);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const made = calls();
    expect(made.map((c) => c.argv)).toEqual(EXPECTED);
    // Paths are relative to the directory holding dist/, where kubectl runs.
    for (const c of made) expect(c.cwd).toBe(root);
    // The Secret applied is exactly the infra output, nothing typed here.
    expect(JSON.parse(made[8]!.stdin!)).toEqual(outputs().argocdClusterSecret);
    expect(made.filter((c) => c.stdin !== undefined)).toHaveLength(1);
    expect(r.out[0]).toBe(`bootstrap dev: cluster dev-eu (${SERVER}) through the current kubectl context`);
    expect(r.out.filter((l) => /^\[\d+\/11\] /.test(l))).toHaveLength(11);
    expect(r.out.at(-1)).toBe(`bootstrap dev: done; Argo CD now syncs dist/argocd/ from ${config.repoURL} (watch: kubectl get applications -n argocd)`);
  });

  it('waits again while a new CRD has no status.conditions yet (kubectl wait gives up on null)', async () => {
    process.env.FAKE_NULL_CONDITIONS = '2';
    const r = await bootstrap('--outputs', outputsFile);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const waits = calls().filter((c) => c.argv.includes('--for=condition=Established'));
    expect(waits).toHaveLength(3);
    expect(
      calls()
        .map((c) => c.argv)
        .filter((a) => !a.includes('--for=condition=Established')),
    ).toEqual(EXPECTED.filter((a) => !a.includes('--for=condition=Established')));
  });

  it('gives up on null status.conditions once --timeout has passed', async () => {
    process.env.FAKE_NULL_CONDITIONS = '1000';
    const r = await bootstrap('--outputs', outputsFile, '--timeout', '2s');
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'error: step 5/11 (wait until they are Established) failed: error: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}',
    ]);
    expect(calls().filter((c) => c.argv.includes('--for=condition=Established')).length).toBeGreaterThan(1);
  });

  it('--dry-run prints the exact commands and runs none', async () => {
    const r = await bootstrap('--outputs', outputsFile, '--dry-run', '--context', 'dev', '--timeout', '300s');
    expect(r.code).toBe(0);
    expect(calls()).toEqual([]);
    const commands = r.out.filter((l) => l.startsWith('  $ '));
    expect(commands[0]).toBe("  $ kubectl --context dev config view --minify '--output=jsonpath={.clusters[0].cluster.server}'");
    expect(commands[3]).toBe(
      '  $ kubectl --context dev apply --server-side --force-conflicts --field-manager=argocd-controller -f dist/dev/argo-cd/customresourcedefinition.applications.argoproj.io.yaml -f dist/dev/argo-cd/customresourcedefinition.appprojects.argoproj.io.yaml',
    );
    expect(commands[4]).toBe(
      '  $ kubectl --context dev wait --for=condition=Established --timeout=300s customresourcedefinition/applications.argoproj.io customresourcedefinition/appprojects.argoproj.io',
    );
    expect(commands[8]!.split('\n')[0]).toBe("  $ kubectl --context dev apply --server-side --force-conflicts --field-manager=zt-eks-bootstrap -f - <<'EOF'");
    expect(commands[10]).toBe(
      '  $ kubectl --context dev apply --server-side --force-conflicts --field-manager=argocd-controller -f dist/argocd/application.argocd.root.yaml',
    );
    expect(commands).toHaveLength(11);
    // The here-document holds the Secret the outputs carry.
    const heredoc = commands[8]!.split('\n').slice(1, -1).join('\n');
    expect(JSON.parse(heredoc)).toEqual(outputs().argocdClusterSecret);
    expect(r.out[0]).toBe(`bootstrap dev: cluster dev-eu (${SERVER}) through context dev; dry run: nothing is run`);
  });

  it('--context goes first in every kubectl call', async () => {
    expect((await bootstrap('--outputs', outputsFile, '--context', 'dev')).code).toBe(0);
    expect(calls().map((c) => c.argv)).toEqual(EXPECTED.map((a) => ['--context', 'dev', ...a]));
  });

  it('reads the outputs from pulumi in infra/ when no --outputs is given', async () => {
    expect((await bootstrap()).code).toBe(0);
    const [first, ...rest] = calls();
    expect(first).toEqual({ tool: 'pulumi', argv: ['stack', 'output', '--json', '--stack', 'dev'], cwd: join(REPO, 'infra') });
    expect(rest.map((c) => c.argv)).toEqual(EXPECTED);
  });

  describe('refuses with one line naming what failed', () => {
    const refused = async (args: string[], message: string) => {
      const r = await bootstrap(...args);
      expect(r.code).toBe(1);
      expect(r.err).toEqual([`error: ${message}`]);
      return r;
    };

    it('a missing argo-cd directory', async () => {
      rmSync(join(root, 'dist/dev/argo-cd'), { recursive: true });
      await refused(
        ['--outputs', outputsFile],
        'dist/dev/argo-cd does not exist; enable the argo-cd component in environments/dev.ts and run pnpm synth --env dev',
      );
      expect(calls()).toEqual([]);
    });

    it('a missing Argo CD Namespace', async () => {
      rmSync(join(root, 'dist/dev/namespaces/namespace.argocd.yaml'));
      await refused(
        ['--outputs', outputsFile, '--dry-run'],
        'dist/dev/namespaces/namespace.argocd.yaml does not exist; enable the argo-cd component in environments/dev.ts (it adds the namespace argocd) and run pnpm synth --env dev',
      );
    });

    it('kubectl not on PATH', async () => {
      process.env.PATH = tempDir('zt-empty-path-');
      await refused(['--outputs', outputsFile], 'kubectl not found on PATH; install kubectl (1.28 or newer), or use --dry-run to print the commands');
    });

    it('an unreachable API server, with the Twingate hint', async () => {
      process.env.FAKE_UNREACHABLE = '1';
      await refused(
        ['--outputs', outputsFile],
        'cannot reach the Kubernetes API of dev through the current context (Unable to connect to the server: dial tcp 10.10.250.4:443: i/o timeout); the endpoint is private: connect Twingate as a member of "Platform Admins", which reaches the resource "dev EKS API (dev-eu)" through the aws-network connectors',
      );
      expect(calls().map((c) => c.argv[0])).toEqual(['config', 'version']);
    });

    it('a context pointing at another cluster', async () => {
      process.env.FAKE_SERVER = 'https://FFFF.gr7.eu-west-2.eks.amazonaws.com';
      await refused(
        ['--outputs', outputsFile],
        `the current kubectl context points at "https://FFFF.gr7.eu-west-2.eks.amazonaws.com", not dev-eu (${SERVER}); run: aws eks update-kubeconfig --name dev-eu --region eu-west-2 --role-arn arn:aws:iam::111122223333:role/zt-eks-bootstrap --alias dev, then pnpm bootstrap --env dev --context dev`,
      );
      expect(calls()).toHaveLength(1);
    });

    it('a failing step, and nothing after it runs', async () => {
      process.env.FAKE_FAIL = 'customresourcedefinition.applications';
      await refused(
        ['--outputs', outputsFile],
        "step 4/11 (apply Argo CD's 2 CustomResourceDefinitions) failed: error: the server could not find the requested resource",
      );
      expect(calls()).toHaveLength(4);
    });

    it('outputs of another environment', async () => {
      writeFileSync(outputsFile, JSON.stringify(outputs('prod')));
      await refused(['--outputs', outputsFile], `${relative(process.cwd(), outputsFile)}: the outputs are of environment "prod", not "dev"`);
    });

    it('a cluster Secret without the label argocd/config.ts selects on', async () => {
      const o = outputs();
      o.argocdClusterSecret.metadata.labels = { 'argocd.argoproj.io/secret-type': 'cluster', env: 'dev' } as never;
      writeFileSync(outputsFile, JSON.stringify(o));
      const shown = relative(process.cwd(), outputsFile);
      await refused(
        ['--outputs', outputsFile],
        `${shown}: argocdClusterSecret lacks the label ${config.clusterLabel}=dev that argocd/config.ts selects on; run pulumi up in infra/ to rebuild it`,
      );
    });

    it('an unknown environment', async () => {
      const io = captureIo();
      expect(await main(['--env', 'qa', '--outputs', outputsFile], io)).toBe(1);
      expect(io.lines.err).toEqual(['error: unknown environment "qa" (known: dev, lab, lattice-cluster1, lattice-cluster2, prod, staging, urlshort)']);
    });

    it('a timeout kubectl would not take', async () => {
      await refused(['--outputs', outputsFile, '--timeout', '5 minutes'], '--timeout "5 minutes" is not a duration like 300s, 5m or 1h');
    });

    it('pulumi not on PATH and no --outputs', async () => {
      process.env.PATH = tempDir('zt-empty-path-');
      await refused([], 'pulumi not found on PATH; install the Pulumi CLI, or pass --outputs <file> (a saved `pulumi stack output --json`)');
    });

    it('a dist/ without the environment', async () => {
      rmSync(join(root, 'dist/dev'), { recursive: true });
      await refused(['--outputs', outputsFile, '--dry-run'], 'dist/dev does not exist; run pnpm synth --env dev');
    });
  });
});
