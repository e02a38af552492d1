/**
 * `pnpm e2e`: applies the rendered tree to a real Kubernetes control plane on 127.0.0.1 (tier 1
 * of docs/e2e.md). Builds or reuses the pinned binaries (e2e/build.sh), starts one etcd, then for
 * each unit (every environment of dist/, and dist/argocd/) a fresh kube-apiserver on its own etcd
 * prefix with a kube-controller-manager, and applies the unit server-side in dependency order.
 * A unit passes with zero rejections, zero warnings, every admission-policy probe answered as
 * expected, and every workload's Pods admitted. Prints one line per unit, then
 * `e2e: N passed, N failed`. Stops every process it started, by PID, whatever happens.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { ApiObject } from '../lib/output';
import { ARGOCD_CONTROLLER_USER } from '../platform/admission-policies';
import { apiServerArgs, controllerManagerArgs, etcdArgs, nonLoopbackFlags } from './flags';
import { Kubectl, problemsOf } from './kubectl';
import { isLoopback, listenersOf } from './listeners';
import { ISOLATED_ENV, runIsolated } from './netns';
import { makePki, type Pki, writeKubeconfig } from './pki';
import { type Manifest, objectCount, readCrdDirectory, readUnit, selectUnits, type UnitPlan, unitNames } from './plan';
import { judgeProbe, probesFor } from './policies';
import { type Started, Supervisor } from './processes';

const REPO = resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Options {
  dist: string;
  env: string[];
  crds?: string;
  keep: boolean;
  tier: string;
  timeout: string;
}

interface UnitResult {
  readonly name: string;
  readonly problems: string[];
  readonly notes: string[];
  readonly seconds: number;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the listener closes before the port is used). */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Polls `check` every 500 ms until it returns true, the process dies, or `timeoutMs` passes. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, proc?: Started): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: string | undefined;
  proc?.exited.then((code) => {
    dead = code;
  });
  while (Date.now() < deadline) {
    if (await check()) return;
    if (dead !== undefined) throw new Error(`${what}: ${proc!.name} exited (${dead}); see ${proc!.log}`);
    await sleep(500);
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
}

/** Starts a process after checking that its flags name loopback addresses only. */
function startChecked(sup: Supervisor, name: string, bin: string, args: string[]): Started {
  const bad = nonLoopbackFlags(args);
  if (bad.length > 0) throw new Error(`${name}: refusing to start with non-loopback addresses: ${bad.join(' ')}`);
  return sup.start(name, bin, args);
}

/** Problems for any listener of the given processes that is not on a loopback address. */
function listenerProblems(procs: readonly Started[]): string[] {
  const byPid = listenersOf(procs.map((p) => p.pid));
  return procs.flatMap((p) => (byPid.get(p.pid) ?? []).filter((a) => !isLoopback(a)).map((a) => `${p.name} listens on ${a}, not a loopback address`));
}

/** Applies the files of some manifests (each file once) and returns the problems, prefixed. */
async function applyStep(kubectl: Kubectl, dist: string, label: string, manifests: readonly Manifest[], root = dist): Promise<string[]> {
  const files = [...new Set(manifests.map((m) => join(root, m.file)))];
  if (files.length === 0) return [];
  const r = await kubectl.apply(files, ARGOCD_CONTROLLER_USER);
  return problemsOf(r).map((p) => `${label}: ${p}`);
}

/** Probes every rendered admission policy, retrying denials while the API server loads new policies. */
async function probePolicies(kubectl: Kubectl, env: string, vaps: readonly ApiObject[]): Promise<{ problems: string[]; probed: number }> {
  const { probes, missing } = probesFor(env, vaps);
  const problems = [...missing];
  for (const p of probes) {
    const args = ['create', '--dry-run=server', '-o', 'name', ...(p.as ? [`--as=${p.as}`] : []), '-f', '-'];
    // A policy takes effect a moment after it is created (the API server's informer): retry a
    // missing denial for up to 30 s before calling it a failure.
    const deadline = Date.now() + 30_000;
    let problem: string | undefined;
    do {
      const r = await kubectl.run(args, JSON.stringify(p.object));
      problem = judgeProbe(p, r);
      if (!problem || p.expect === 'admitted') break;
      await sleep(1000);
    } while (Date.now() < deadline);
    if (problem) problems.push(problem);
  }
  return { problems, probed: new Set(probes.map((p) => p.policy)).size };
}

interface Workload {
  kind: string;
  metadata: { namespace: string; name: string };
  spec: { replicas?: number; parallelism?: number };
  status?: { replicas?: number; active?: number; succeeded?: number; failed?: number };
}

/**
 * Waits until the controller-manager has created the Pods of every Deployment, StatefulSet and
 * Job (admitted by Pod Security and the admission policies, as Pods this time), and reports
 * FailedCreate events. No node runs them: tier 1 checks admission, not scheduling.
 */
async function workloadProblems(kubectl: Kubectl, timeoutMs: number): Promise<{ problems: string[]; workloads: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await kubectl.run(['get', 'deployments,statefulsets,jobs', '-A', '-o', 'json']);
    const events = await kubectl.run(['get', 'events', '-A', '--field-selector=reason=FailedCreate', '-o', 'json']);
    if (list.status !== 0 || events.status !== 0) return { problems: [`listing workloads: ${list.stderr.trim() || events.stderr.trim()}`], workloads: 0 };
    const items = (JSON.parse(list.stdout) as { items: Workload[] }).items;
    const failed = (JSON.parse(events.stdout) as { items: { involvedObject: { kind: string; namespace: string; name: string }; message: string }[] }).items;
    const pending = items.filter((w) => {
      const s = w.status ?? {};
      if (w.kind === 'Job') return (s.active ?? 0) + (s.succeeded ?? 0) + (s.failed ?? 0) === 0;
      const want = w.spec.replicas ?? 1;
      return want > 0 && (s.replicas ?? 0) === 0;
    });
    if (failed.length > 0 || pending.length === 0 || Date.now() > deadline) {
      const problems = [
        ...failed.map((e) => `${e.involvedObject.kind} ${e.involvedObject.namespace}/${e.involvedObject.name}: FailedCreate: ${e.message}`),
        ...(failed.length === 0 ? pending.map((w) => `${w.kind} ${w.metadata.namespace}/${w.metadata.name}: no Pod created in ${timeoutMs / 1000} s`) : []),
      ];
      return { problems: [...new Set(problems)].sort(), workloads: items.length };
    }
    await sleep(1000);
  }
}

/** Applies one unit to the fresh cluster behind `kubectl`. */
async function runUnit(kubectl: Kubectl, dist: string, crdRoot: string | undefined, plan: UnitPlan): Promise<{ problems: string[]; notes: string[] }> {
  const problems: string[] = [];
  const notes: string[] = [];
  // What `pnpm bootstrap` does before Argo CD syncs anything: Argo CD's namespace and its
  // controller's cluster-admin binding (Argo CD's own install grants the same).
  for (const ns of plan.bootstrapNamespaces) {
    problems.push(...problemsOf(await kubectl.run(['create', 'namespace', ns])).map((p) => `bootstrap: ${p}`));
  }
  const [ns, name] = ARGOCD_CONTROLLER_USER.split(':').slice(2) as [string, string];
  const bind = await kubectl.run([
    'create',
    'clusterrolebinding',
    'zt-e2e-argocd-application-controller',
    '--clusterrole=cluster-admin',
    `--serviceaccount=${ns}:${name}`,
  ]);
  problems.push(...problemsOf(bind).map((p) => `bootstrap: ${p}`));

  problems.push(...(await applyStep(kubectl, dist, 'namespaces', plan.namespaces)));
  if (plan.externalCrds.length > 0) {
    notes.push(`CRDs not delivered by dist/, taken from --crds: ${plan.externalCrds.map((m) => m.file).join(', ')}`);
    problems.push(...(await applyStep(kubectl, dist, 'CRDs from --crds', plan.externalCrds, crdRoot)));
  }
  problems.push(...(await applyStep(kubectl, dist, 'CRDs', plan.crds)));
  const crdNames = [...plan.externalCrds, ...plan.crds].map((m) => `crd/${m.object.metadata.name}`);
  if (crdNames.length > 0) {
    // Not `kubectl wait`: it fails instead of waiting while a large CRD (Argo CD's ApplicationSet
    // is 1.4 MB) has no status.conditions yet.
    let pending: string[] = crdNames;
    const deadline = Date.now() + 120_000;
    while (pending.length > 0 && Date.now() < deadline) {
      const r = await kubectl.run(['get', ...crdNames, '-o', 'json']);
      const items =
        r.status === 0
          ? (JSON.parse(r.stdout) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items
          : [];
      const established = new Set(
        items.filter((c) => c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')).map((c) => `crd/${c.metadata.name}`),
      );
      pending = crdNames.filter((n) => !established.has(n));
      if (pending.length > 0) await sleep(1000);
    }
    if (pending.length > 0) problems.push(`CRDs not Established after 120 s: ${pending.join(', ')}`);
  }

  let probed = 0;
  for (const c of plan.components) {
    problems.push(...(await applyStep(kubectl, dist, c.name, c.manifests)));
    // Probe the policies right after they are applied, which also waits until they are in
    // force: every later component is then admitted by them.
    const vaps = c.manifests.map((m) => m.object).filter((o) => o.kind === 'ValidatingAdmissionPolicy');
    if (vaps.length > 0) {
      const r = await probePolicies(kubectl, plan.name, vaps);
      problems.push(...r.problems.map((p) => `${c.name}: ${p}`));
      probed += r.probed;
    }
  }
  problems.push(...(await applyStep(kubectl, dist, 'webhooks and APIServices', plan.lastly)));
  const w = await workloadProblems(kubectl, 60_000);
  problems.push(...w.problems);
  notes.unshift(`${objectCount(plan)} objects in ${plan.components.length} components, ${probed} admission policies probed, ${w.workloads} workloads`);
  return { problems, notes };
}

/** The binary directory of `e2e/build.sh kubernetes` (builds on first use, then cached). */
function binaries(): string {
  return execFileSync('bash', [join(REPO, 'e2e', 'build.sh'), 'kubernetes'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** The last lines of the logs whose names start with one of `prefixes`, for a failed run. */
function printLogs(logDir: string, prefixes: readonly string[]): void {
  for (const f of existsSync(logDir) ? readdirSync(logDir).sort() : []) {
    if (!f.endsWith('.log') || !prefixes.some((p) => f.startsWith(p))) continue;
    const lines = readFileSync(join(logDir, f), 'utf8').trimEnd().split('\n');
    console.log(`--- ${f} (last ${Math.min(40, lines.length)} of ${lines.length} lines)`);
    console.log(lines.slice(-40).join('\n'));
  }
}

/**
 * Tier 2 (docs/e2e.md): e2e/tier2.sh for one environment of the repository's own dist/ (it
 * serves a clone of HEAD to Argo CD, so `--dist` must be the checkout's).
 */
function tier2(dist: string, units: readonly string[], timeout: string): number {
  if (dist !== join(REPO, 'dist')) {
    console.error(`error: --tier 2 --dist ${dist}: tier 2 serves the repository's own dist/ (a clone of HEAD) to Argo CD`);
    return 1;
  }
  if (units.length !== 1 || units[0] === 'argocd') {
    console.error(`error: --tier 2 --env ${units.join(' ')}: tier 2 runs one environment (e.g. --env dev)`);
    return 1;
  }
  if (!/^[1-9]\d*$/.test(timeout)) {
    console.error(`error: --timeout ${timeout}: expected a whole number of seconds`);
    return 1;
  }
  const r = spawnSync('bash', [join(REPO, 'e2e/tier2.sh'), '--env', units[0]!, '--timeout', timeout], { stdio: 'inherit' });
  return r.status ?? 1;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('e2e')
    .description('Apply dist/ to a real Kubernetes control plane on 127.0.0.1 (docs/e2e.md)')
    .option('--dist <dir>', 'rendered tree', join(REPO, 'dist'))
    .option('--env <name...>', "units to apply (environments, a multi-cluster environment's name for all its clusters, or argocd); default: all", [])
    .option('--crds <dir>', 'CRDs for kinds dist/ uses but does not deliver (tests and CI: ../shared/upstream/crds)')
    .option('--keep', 'keep the temp directory (logs, PKI) after a passing run', false)
    .option('--tier <n>', '1: apply every unit server-side; 2: one environment under real Argo CD (e2e/tier2.sh)', '1')
    .option('--timeout <seconds>', 'tier 2: how long to wait for every Application to be Synced and Healthy', '600')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    return (e as { exitCode?: number }).exitCode ?? 1;
  }
  const o = program.opts<Options>();
  const dist = resolve(o.dist);
  // User errors: one line, exit 1, nothing started (the project's convention).
  if (o.crds && !(existsSync(o.crds) && statSync(o.crds).isDirectory())) {
    console.error(`error: --crds ${o.crds}: not a directory`);
    return 1;
  }
  if (!(existsSync(dist) && statSync(dist).isDirectory())) {
    console.error(`error: --dist ${o.dist}: not a directory (run pnpm synth)`);
    return 1;
  }
  const all = unitNames(dist);
  const { units, unknown } = selectUnits(all, o.env);
  if (unknown.length > 0) {
    console.error(`error: --env ${unknown.join(', ')}: not in ${o.dist} (have: ${all.join(', ')})`);
    return 1;
  }
  if (o.tier !== '1' && o.tier !== '2') {
    console.error(`error: --tier ${o.tier}: expected 1 or 2`);
    return 1;
  }
  if (o.tier === '2') return tier2(dist, o.env.length === 0 ? ['dev'] : units, o.timeout);
  const crdRoot = o.crds ? resolve(o.crds) : undefined;
  const library = crdRoot ? readCrdDirectory(crdRoot) : [];
  const plans = units.map((u) => readUnit(dist, u, library));

  // Build (network needed) outside, then run everything else in a loopback-only namespace.
  const bin = process.env[ISOLATED_ENV];
  if (!bin) return runIsolated(binaries(), [__filename, ...argv]);
  const tmp = mkdtempSync(join(tmpdir(), 'zt-e2e-'));
  const logDir = join(tmp, 'logs');
  for (const d of [logDir, join(tmp, 'pki'), join(tmp, 'cache')]) mkdirSync(d, { recursive: true });
  const sup = new Supervisor(logDir);
  const removeHandlers = sup.stopOnExit((s) => console.error(`e2e: ${s}: stopping ${sup.pids().join(', ') || 'nothing'}; logs in ${logDir}`));
  const results: UnitResult[] = [];
  let fatal: string | undefined;
  try {
    const pki: Pki = makePki(join(tmp, 'pki'));
    const etcdPort = await freePort();
    const etcd = startChecked(sup, 'etcd', join(bin, 'etcd'), etcdArgs({ dataDir: join(tmp, 'etcd'), clientPort: etcdPort, peerPort: await freePort() }));
    await waitFor(
      'etcd',
      async () => {
        try {
          const r = await fetch(`http://127.0.0.1:${etcdPort}/health`);
          return r.ok && ((await r.json()) as { health?: string }).health === 'true';
        } catch {
          return false;
        }
      },
      60_000,
      etcd,
    );
    console.log(`e2e: control plane from ${bin} (logs: ${logDir})`);
    for (const plan of plans) {
      const start = Date.now();
      const port = await freePort();
      const kubeconfig = join(tmp, `${plan.name}.kubeconfig`);
      writeKubeconfig(kubeconfig, pki, port);
      const kubectl = new Kubectl(join(bin, 'kubectl'), kubeconfig, join(tmp, 'cache'));
      const apiserver = startChecked(
        sup,
        `kube-apiserver-${plan.name}`,
        join(bin, 'kube-apiserver'),
        apiServerArgs({ pki, etcdClientPort: etcdPort, securePort: port, etcdPrefix: `/zt-e2e/${plan.name}` }),
      );
      let result: { problems: string[]; notes: string[] };
      try {
        await waitFor(`kube-apiserver (${plan.name})`, async () => (await kubectl.run(['get', '--raw=/readyz'])).status === 0, 120_000, apiserver);
        const cm = startChecked(sup, `kube-controller-manager-${plan.name}`, join(bin, 'kube-controller-manager'), controllerManagerArgs({ kubeconfig, pki }));
        try {
          result = await runUnit(kubectl, dist, crdRoot, plan);
          result.problems.push(...listenerProblems([etcd, apiserver, cm]));
        } finally {
          await sup.stop(cm);
        }
      } finally {
        await sup.stop(apiserver);
      }
      const r = { name: plan.name, ...result, seconds: (Date.now() - start) / 1000 };
      results.push(r);
      const status = r.problems.length === 0 ? 'passed' : `FAILED (${r.problems.length} problems)`;
      console.log(`e2e: ${r.name}: ${status}: ${r.notes[0]}, ${r.seconds.toFixed(1)} s`);
      for (const n of r.notes.slice(1)) console.log(`  note: ${n}`);
      for (const p of r.problems) console.log(`  ${p}`);
    }
  } catch (e) {
    fatal = (e as Error).message;
    console.error(`e2e: error: ${fatal}`);
  } finally {
    await sup.stopAll();
    removeHandlers();
  }
  const failed = results.filter((r) => r.problems.length > 0).length + (fatal ? Math.max(1, plans.length - results.length) : 0);
  const passed = results.length - results.filter((r) => r.problems.length > 0).length;
  if (failed > 0) {
    // The failed units' processes, and etcd; everything when the run itself broke.
    const failedUnits = results.filter((r) => r.problems.length > 0).map((r) => r.name);
    printLogs(logDir, fatal ? [''] : ['etcd', ...failedUnits.flatMap((u) => [`kube-apiserver-${u}.`, `kube-controller-manager-${u}.`])]);
    console.log(`e2e: logs kept in ${logDir}`);
  } else if (!o.keep) {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
