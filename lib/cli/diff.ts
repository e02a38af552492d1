/**
 * `pnpm diff [--base <git-ref>] [--format text|markdown] [--exit-code]`
 *
 * What a change does to the clusters, for pull requests: renders the working tree (in process,
 * the current environments with the current code) and the base revision (in a temporary `git
 * worktree`, with that revision's own `pnpm synth --out`), then reports
 *
 * (a) the manifest change, environment -> component -> object: `+` added, `-` removed, `~`
 *     changed with a unified diff of its YAML;
 * (b) what it does to access, per environment: connections added and removed (both trees'
 *     NetworkPolicies analyzed the same way, netpol-analyzer `diff` style: `+ src => dst : conns`)
 *     and identity changes (group -> Twingate resources -> Kubernetes role, from the access tables).
 *
 * The committed dist/ is not read: each side is what synth renders for it. docs/diff.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { structuredPatch } from 'diff';
import { parse } from 'yaml';
import { analyze, type Endpoint } from '../../analysis/analyze';
import { type ConnSet, formatConns, isEmpty, NO_CONNS, subtract } from '../../analysis/conns';
import { KUBE_DNS_WORKLOAD, modelledObject } from '../../analysis/intent';
import { blockContains, type Ipv4Range, parseBlock } from '../../analysis/ip';
import { buildCluster, type SourcedObject } from '../../analysis/model';
import { matches } from '../../analysis/selectors';
import { loadArgoConfig } from '../../argocd/settings';
import { formatIpv4, parseCidr } from '../cidr';
import type { WorkloadRef } from '../component';
import type { Environment } from '../environment';
import { UserError } from '../errors';
import { loadEnvironments, REPO_ROOT } from '../load';
import { DIST_MARKER, readTree } from '../output';
import { defaultChartsDir, synthesize } from '../synth';
import { guard, type Io, processIo, runIfMain } from './run';

// ---------------------------------------------------------------------------------------------
// The two sides

/** What the access diff needs to know about one environment of one side. */
interface EnvFacts {
  readonly name: string;
  readonly namespaces: readonly string[];
  readonly groups: readonly string[];
  readonly access: readonly {
    readonly group: string;
    readonly resources?: readonly string[];
    readonly kubernetesRole?: string;
    readonly clusterRole?: string;
  }[];
  readonly workloads: readonly WorkloadRef[];
  /** The CIDR ends of its flows and blocked paths, to name address ranges as the environment does. */
  readonly cidrs: readonly { readonly cidr: string; readonly except: readonly string[] }[];
}

interface Side {
  /** Rendered files by dist/-relative path. */
  readonly files: ReadonlyMap<string, string>;
  readonly envs: ReadonlyMap<string, EnvFacts>;
}

function facts(env: Pick<Environment, 'name' | 'namespaces' | 'groups' | 'access' | 'workloads' | 'flows' | 'blocked'>): EnvFacts {
  const cidrs = [...env.flows, ...env.blocked].flatMap((f) => [f.from, f.to]).flatMap((p) => (typeof p === 'string' ? [] : [p]));
  return { name: env.name, namespaces: env.namespaces, groups: env.groups, access: env.access, workloads: env.workloads, cidrs };
}

function git(repo: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
  if (r.error) throw new UserError(`git is not available: ${r.error.message}`);
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
}

/** `--base`, or the merge base of HEAD and origin/main (main when there is no origin/main). */
function resolveBase(repo: string, base: string | undefined): { ref: string; sha: string } {
  if (!git(repo, ['rev-parse', '--git-dir']).ok) throw new UserError(`${repo} is not a git repository`);
  if (base !== undefined) {
    const r = git(repo, ['rev-parse', '--verify', '--quiet', `${base}^{commit}`]);
    if (!r.ok) throw new UserError(`unknown base revision ${JSON.stringify(base)}`);
    return { ref: base, sha: r.out };
  }
  for (const candidate of ['origin/main', 'main']) {
    if (!git(repo, ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]).ok) continue;
    const mb = git(repo, ['merge-base', 'HEAD', candidate]);
    if (!mb.ok) throw new UserError(`HEAD and ${candidate} have no common ancestor; pass --base`);
    return { ref: `merge-base of HEAD and ${candidate}`, sha: mb.out };
  }
  throw new UserError('no --base given and neither origin/main nor main exists; pass --base <git-ref>');
}

/** The working tree, rendered in process. */
async function renderWorkingTree(repo: string, chartsDir: string): Promise<Side> {
  const envs = await loadEnvironments(join(repo, 'environments'));
  const argocd = await loadArgoConfig(
    envs.map((e) => e.name),
    join(repo, 'argocd', 'config.ts'),
  );
  const result = synthesize(envs, { argocd, charts: { dir: chartsDir } });
  return { files: new Map(result.files.map((f) => [f.path, f.content])), envs: new Map(envs.map((e) => [e.name, facts(e)])) };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, out, err }));
  });
}

/** The last `error: ...` line a child printed, else its last line. */
const lastError = (err: string) => {
  const lines = err.trim().split('\n');
  return (lines.filter((l) => l.startsWith('error: ')).pop() ?? lines.pop() ?? '').replace(/^error: /, '');
};

/**
 * The base revision rendered with its own code: a temporary worktree (sharing this checkout's
 * node_modules), its `lib/cli/synth.ts --out`, and its own loader for the environment facts.
 * The worktree is removed whatever happens.
 */
async function renderBase(repo: string, sha: string, chartsDir: string): Promise<Side> {
  const modules = join(repo, 'node_modules');
  if (!existsSync(modules)) throw new UserError(`${modules} does not exist; run pnpm install`);
  const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'zt-diff-')));
  const tree = join(tmp, 'base');
  const out = join(tmp, 'out');
  const cleanup = () => {
    git(repo, ['worktree', 'remove', '--force', tree]);
    rmSync(tmp, { recursive: true, force: true });
    git(repo, ['worktree', 'prune']);
  };
  const interrupted = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const add = git(repo, ['worktree', 'add', '--detach', '--quiet', tree, sha]);
    if (!add.ok) throw new UserError(`cannot check out ${sha.slice(0, 12)} into a temporary worktree: ${add.err.split('\n').pop()}`);
    if (!existsSync(join(tree, 'node_modules'))) symlinkSync(realpathSync(modules), join(tree, 'node_modules'), 'dir');
    const tsx = createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx/cli');
    const env: NodeJS.ProcessEnv = { ...process.env, ZT_CHARTS_DIR: chartsDir };
    delete env.CDK8S_OUTDIR;
    const dump = join(tmp, 'environments.ts');
    writeFileSync(
      dump,
      [
        `import { loadEnvironments } from ${JSON.stringify(join(tree, 'lib', 'load'))};`,
        `loadEnvironments(${JSON.stringify(join(tree, 'environments'))}).then((envs) => {`,
        '  const ends = (e) => [...e.flows, ...e.blocked].flatMap((f) => [f.from, f.to]).filter((p) => typeof p !== "string");',
        '  const facts = envs.map((e) => ({ name: e.name, namespaces: e.namespaces, groups: e.groups, access: e.access, workloads: e.workloads, cidrs: ends(e) }));',
        '  process.stdout.write(JSON.stringify(facts));',
        '});',
        '',
      ].join('\n'),
    );
    const [synth, loaded] = await Promise.all([
      run(process.execPath, [tsx, join(tree, 'lib', 'cli', 'synth.ts'), '--out', out], tree, env),
      run(process.execPath, [tsx, dump], tree, env),
    ]);
    const short = sha.slice(0, 7);
    if (synth.code !== 0) throw new UserError(`the base (${short}) does not render: ${lastError(synth.err)}`);
    if (loaded.code !== 0) throw new UserError(`the base (${short}) environments do not load: ${lastError(loaded.err)}`);
    let envs: EnvFacts[];
    try {
      envs = JSON.parse(loaded.out) as EnvFacts[];
    } catch {
      throw new UserError(`the base (${short}) environments do not load: unexpected output from its lib/load.ts`);
    }
    return { files: readTree(out), envs: new Map(envs.map((e) => [e.name, e])) };
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// (a) Manifests

type Sign = '+' | '-' | '~';

interface ObjectChange {
  readonly sign: Sign;
  readonly path: string;
  readonly component: string;
  /** `Kind namespace/name`, or the file name for metadata files. */
  readonly label: string;
  /** Unified diff hunks of a changed object (`@@ ... @@` lines and their lines). */
  readonly hunks: readonly string[];
}

/** Files that are not manifests of the section: ACCESS.md is derived (the access part shows it), the marker is synth's. */
const derived = (path: string) => path === DIST_MARKER || /^[^/]+\/ACCESS\.md$/.test(path);

function objectLabel(path: string, content: string): string {
  const file = path.split('/').pop()!;
  if (file === 'component.json') return 'component.json (Argo CD metadata)';
  if (file === 'values.yaml') return 'values.yaml (chart values)';
  try {
    const o = parse(content) as { kind?: string; metadata?: { name?: string; namespace?: string } };
    if (o?.kind && o.metadata?.name) return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  } catch {
    // Fall back to the file name.
  }
  return file;
}

function hunks(path: string, before: string, after: string): string[] {
  const p = structuredPatch(`a/${path}`, `b/${path}`, before, after, '', '', { context: 3 });
  return p.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines]);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function manifestChanges(base: Side, head: Side): Map<string, ObjectChange[]> {
  const bySection = new Map<string, ObjectChange[]>();
  const paths = [...new Set([...base.files.keys(), ...head.files.keys()])].filter((p) => !derived(p)).sort(cmp);
  for (const path of paths) {
    const before = base.files.get(path);
    const after = head.files.get(path);
    if (before === after) continue;
    const parts = path.split('/');
    const section = parts[0]!;
    const component = parts.length > 2 ? parts[1]! : '';
    const sign: Sign = before === undefined ? '+' : after === undefined ? '-' : '~';
    const change: ObjectChange = {
      sign,
      path,
      component,
      label: objectLabel(path, (after ?? before)!),
      hunks: sign === '~' ? hunks(path, before!, after!) : [],
    };
    bySection.set(section, [...(bySection.get(section) ?? []), change]);
  }
  for (const list of bySection.values()) list.sort((a, b) => cmp(a.component, b.component) || cmp(a.path, b.path));
  return bySection;
}

// ---------------------------------------------------------------------------------------------
// (b) Connections

interface ConnectionChange {
  readonly sign: '+' | '-';
  readonly src: string;
  readonly dst: string;
  readonly conns: string;
}

/** The rendered objects of one environment: every YAML manifest under `<env>/<component>/`. */
function envObjects(files: ReadonlyMap<string, string>, env: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  for (const [path, content] of files) {
    const parts = path.split('/');
    if (parts[0] !== env || parts.length !== 3 || !path.endsWith('.yaml') || parts[2] === 'values.yaml') continue;
    out.push({ source: path, object: parse(content) });
  }
  return out;
}

const hasLabels = (have: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>) =>
  matches({ matchLabels: { ...want }, matchExpressions: [] }, have);

/**
 * Pods the environment knows but synth does not render, modelled as the intent proof models them
 * (same names, so lines read like ACCESS.md): operator-made pods and CoreDNS.
 */
function modelledPods(env: EnvFacts | undefined, objects: readonly SourcedObject[]): SourcedObject[] {
  const rendered = buildCluster(objects).workloads;
  const wanted = [...(env?.workloads ?? []).filter((w) => w.modelled), ...(env ? [KUBE_DNS_WORKLOAD] : [])];
  return wanted
    .filter((ref) => !rendered.some((w) => w.namespace === ref.namespace && hasLabels(w.labels, ref.labels)))
    .map((ref) => modelledObject(ref, `modelled ${ref.namespace}/${ref.name}`));
}

/** Every ipBlock boundary of the policies and every declared CIDR: one address partition for both sides. */
function boundaries(objects: readonly SourcedObject[], envs: readonly (EnvFacts | undefined)[]): Ipv4Range[] {
  const texts: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const block = (v as { ipBlock?: { cidr?: unknown; except?: unknown } }).ipBlock;
      if (block && typeof block.cidr === 'string')
        texts.push(block.cidr, ...(Array.isArray(block.except) ? block.except.filter((e) => typeof e === 'string') : []));
      Object.values(v).forEach(visit);
    }
  };
  for (const o of objects) if ((o.object as { kind?: string } | null)?.kind === 'NetworkPolicy') visit((o.object as { spec?: unknown }).spec);
  for (const env of envs) for (const c of env?.cidrs ?? []) texts.push(c.cidr, ...c.except);
  return texts.map(parseBlock).filter((r): r is Ipv4Range => typeof r === 'object');
}

type Pair = { readonly src: Endpoint; readonly dst: Endpoint; readonly conns: ConnSet };

const endpointKey = (e: Endpoint) => (e.kind === 'workload' ? e.workload.id : `${e.range.start}-${e.range.end}`);

/** The in-scope connections of one side (one end a workload in a namespace the environment owns), by `src|dst`. */
function connectionsOf(objects: SourcedObject[], env: EnvFacts | undefined, bounds: readonly Ipv4Range[]): Map<string, Pair> {
  const owned = new Set(env?.namespaces ?? []);
  const analysis = analyze(buildCluster([...objects, ...modelledPods(env, objects)]), { boundaries: bounds });
  const isOwned = (e: Endpoint) => e.kind === 'workload' && owned.has(e.workload.namespace);
  const map = new Map<string, Pair>();
  for (const c of analysis.connections) if (isOwned(c.src) || isOwned(c.dst)) map.set(`${endpointKey(c.src)}|${endpointKey(c.dst)}`, c);
  return map;
}

/** A CIDR when the range is exactly one, else `start-end`. */
function rangeText(r: Ipv4Range): string {
  const size = r.end - r.start + 1;
  const bits = Math.log2(size);
  if (Number.isInteger(bits) && r.start % size === 0) return `${formatIpv4(r.start)}/${32 - bits}`;
  return `${formatIpv4(r.start)}-${formatIpv4(r.end)}`;
}

/**
 * Names a set of atomic address ranges: as the declared CIDR ends they make up exactly (widest
 * first, e.g. `0.0.0.0/0 except 10.0.0.0/8,...`), the rest merged into CIDRs or ranges.
 */
function addressText(ranges: readonly Ipv4Range[], partition: readonly Ipv4Range[], declared: readonly EnvFacts['cidrs'][number][]): string {
  const left = new Set(ranges.map((r) => r.start));
  const names: string[] = [];
  const blocks = [...new Map(declared.map((d) => [`${d.cidr} ${[...d.except].sort().join(',')}`, d])).values()]
    .map((d) => ({ d, block: { cidr: parseCidr(d.cidr)!, except: d.except.map((e) => parseCidr(e)!) } }))
    .sort((a, b) => b.block.cidr.end - b.block.cidr.start - (a.block.cidr.end - a.block.cidr.start) || a.block.except.length - b.block.except.length);
  for (const { d, block } of blocks) {
    const inside = partition.filter((r) => blockContains(block, r));
    if (inside.length > 0 && inside.every((r) => left.has(r.start))) {
      for (const r of inside) left.delete(r.start);
      names.push(d.except.length ? `${d.cidr} except ${d.except.join(',')}` : d.cidr);
    }
  }
  const rest = ranges.filter((r) => left.has(r.start)).sort((a, b) => a.start - b.start);
  const merged: Ipv4Range[] = [];
  for (const r of rest) {
    const last = merged[merged.length - 1];
    if (last && last.end + 1 === r.start) merged[merged.length - 1] = { start: last.start, end: r.end };
    else merged.push(r);
  }
  return [...names, ...merged.map(rangeText)].join(' and ');
}

function connectionChanges(base: Side, head: Side, env: string): ConnectionChange[] {
  const before = envObjects(base.files, env);
  const after = envObjects(head.files, env);
  const oldEnv = base.envs.get(env);
  const newEnv = head.envs.get(env);
  const bounds = boundaries([...before, ...after], [oldEnv, newEnv]);
  const old = connectionsOf(before, oldEnv, bounds);
  const now = connectionsOf(after, newEnv, bounds);
  const partition = analyze({ namespaces: new Map(), workloads: [], policies: [] }, { boundaries: bounds }).ranges;
  const declared = [...(oldEnv?.cidrs ?? []), ...(newEnv?.cidrs ?? [])];

  // Atomic differences, then ranges grouped per workload, sign and connections.
  const atomic: { sign: '+' | '-'; src: Endpoint; dst: Endpoint; conns: ConnSet }[] = [];
  for (const k of new Set([...old.keys(), ...now.keys()])) {
    const o = old.get(k);
    const n = now.get(k);
    const pair = (n ?? o)!;
    const added = subtract(n?.conns ?? NO_CONNS, o?.conns ?? NO_CONNS);
    const removed = subtract(o?.conns ?? NO_CONNS, n?.conns ?? NO_CONNS);
    if (!isEmpty(added)) atomic.push({ sign: '+', src: pair.src, dst: pair.dst, conns: added });
    if (!isEmpty(removed)) atomic.push({ sign: '-', src: pair.src, dst: pair.dst, conns: removed });
  }
  const lines: ConnectionChange[] = [];
  const grouped = new Map<string, { sign: '+' | '-'; src?: string; dst?: string; conns: string; ranges: Ipv4Range[] }>();
  for (const a of atomic) {
    const conns = formatConns(a.conns);
    if (a.src.kind === 'workload' && a.dst.kind === 'workload') {
      lines.push({ sign: a.sign, src: a.src.workload.id, dst: a.dst.workload.id, conns });
      continue;
    }
    const range = a.src.kind === 'range' ? a.src.range : (a.dst as Extract<Endpoint, { kind: 'range' }>).range;
    const side = a.src.kind === 'workload' ? { src: a.src.workload.id } : { dst: (a.dst as Extract<Endpoint, { kind: 'workload' }>).workload.id };
    const key = `${a.sign}|${side.src ?? ''}|${side.dst ?? ''}|${conns}`;
    const g = grouped.get(key) ?? { sign: a.sign, ...side, conns, ranges: [] };
    g.ranges.push(range);
    grouped.set(key, g);
  }
  for (const g of grouped.values()) {
    const text = addressText(g.ranges, partition, declared);
    lines.push({ sign: g.sign, src: g.src ?? text, dst: g.dst ?? text, conns: g.conns });
  }
  return lines.sort((a, b) => cmp(a.src, b.src) || cmp(a.dst, b.dst) || cmp(a.sign === '-' ? '0' : '1', b.sign === '-' ? '0' : '1') || cmp(a.conns, b.conns));
}

// ---------------------------------------------------------------------------------------------
// (b) Identity

interface Grant {
  readonly resources: readonly string[];
  readonly role?: string;
}

interface IdentityChange {
  readonly sign: Sign;
  readonly group: string;
  readonly before?: Grant;
  readonly after?: Grant;
}

function grants(env: EnvFacts | undefined): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const g of env?.groups ?? []) out.set(g, { resources: [] });
  for (const row of env?.access ?? []) {
    // The role in the apps' namespaces and the cluster-wide one (if any), as one comparable text.
    const role = [row.kubernetesRole, row.clusterRole ? `cluster-wide ${row.clusterRole}` : undefined].filter(Boolean).join(' + ');
    out.set(row.group, { resources: [...(row.resources ?? [])].sort(cmp), ...(role ? { role } : {}) });
  }
  return out;
}

const sameGrant = (a: Grant, b: Grant) => a.role === b.role && a.resources.join('\n') === b.resources.join('\n');

function identityChanges(base: Side, head: Side, env: string): IdentityChange[] {
  const before = grants(base.envs.get(env));
  const after = grants(head.envs.get(env));
  const out: IdentityChange[] = [];
  for (const group of [...new Set([...before.keys(), ...after.keys()])].sort(cmp)) {
    const b = before.get(group);
    const a = after.get(group);
    if (b && a && sameGrant(a, b)) continue;
    out.push({ sign: !b ? '+' : !a ? '-' : '~', group, ...(b ? { before: b } : {}), ...(a ? { after: a } : {}) });
  }
  return out;
}

/** `group -> resources -> role`, as the access table reads. */
const grantText = (group: string, g: Grant) =>
  `${group} -> ${g.resources.length ? g.resources.join(', ') : '(no Twingate resources)'} -> ${g.role ?? '(no Kubernetes role)'}`;

// ---------------------------------------------------------------------------------------------
// The report

interface Section {
  /** An environment, or `argocd` (dist/argocd/). */
  readonly name: string;
  readonly objects: readonly ObjectChange[];
  readonly connections: readonly ConnectionChange[];
  readonly identity: readonly IdentityChange[];
}

interface Report {
  readonly base: { readonly ref: string; readonly sha: string };
  /** Sections with a change: environments by name, then argocd. */
  readonly sections: readonly Section[];
  /** Environments with no change. */
  readonly unchanged: readonly string[];
}

function compare(base: Side, head: Side, baseRef: Report['base']): Report {
  const manifests = manifestChanges(base, head);
  const envNames = [...new Set([...base.envs.keys(), ...head.envs.keys()])].sort(cmp);
  const sections: Section[] = [];
  const unchanged: string[] = [];
  for (const name of envNames) {
    const s: Section = {
      name,
      objects: manifests.get(name) ?? [],
      connections: connectionChanges(base, head, name),
      identity: identityChanges(base, head, name),
    };
    if (s.objects.length || s.connections.length || s.identity.length) sections.push(s);
    else unchanged.push(name);
  }
  for (const [name, objects] of [...manifests].sort(([a], [b]) => cmp(a, b))) {
    if (!envNames.includes(name)) sections.push({ name, objects, connections: [], identity: [] });
  }
  return { base: baseRef, sections, unchanged };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function identitySummary(changes: readonly IdentityChange[]): string {
  const parts = (
    [
      ['+', 'added'],
      ['~', 'changed'],
      ['-', 'removed'],
    ] as const
  )
    .map(([sign, verb]) => [changes.filter((c) => c.sign === sign).length, verb] as const)
    .filter(([n]) => n > 0);
  // `1 group added, 2 changed`: the noun once, with the first count.
  return parts.length ? parts.map(([n, verb], i) => `${i === 0 ? plural(n, 'group') : n} ${verb}`).join(', ') : 'no change';
}

function counts(sections: readonly Section[]) {
  const objects = sections.reduce((n, s) => n + s.objects.length, 0);
  const added = sections.reduce((n, s) => n + s.connections.filter((c) => c.sign === '+').length, 0);
  const removed = sections.reduce((n, s) => n + s.connections.filter((c) => c.sign === '-').length, 0);
  return { objects, added, removed, identity: sections.flatMap((s) => s.identity) };
}

/** `N objects changed in M environments; K connections added, J removed; identity: ...` */
function summary(report: Report): string {
  const c = counts(report.sections);
  const envs = report.sections.filter((s) => s.objects.length && s.name !== 'argocd').length;
  const argo = report.sections.some((s) => s.name === 'argocd') ? ' and argocd/' : '';
  return (
    `${plural(c.objects, 'object')} changed in ${plural(envs, 'environment')}${argo}; ` +
    `${plural(c.added, 'connection')} added, ${c.removed} removed; identity: ${identitySummary(c.identity)}`
  );
}

function sectionSummary(s: Section): string {
  const added = s.connections.filter((c) => c.sign === '+').length;
  const removed = s.connections.filter((c) => c.sign === '-').length;
  const parts = [`${plural(s.objects.length, 'object')} changed`];
  if (s.name !== 'argocd') parts.push(`${plural(added, 'connection')} added, ${removed} removed`, `identity: ${identitySummary(s.identity)}`);
  return parts.join('; ');
}

const baseText = (report: Report) => `${report.base.ref} (${report.base.sha.slice(0, 7)})`;

function formatText(report: Report): string {
  const out = [summary(report), `base: ${baseText(report)}; compared with: the working tree`];
  for (const s of report.sections) {
    out.push('', `== ${s.name}: ${sectionSummary(s)}`);
    if (s.objects.length) {
      out.push('manifests:');
      let component: string | undefined;
      for (const o of s.objects) {
        if (o.component !== component) {
          component = o.component;
          if (component) out.push(`  ${component}/`);
        }
        const indent = o.component ? '    ' : '  ';
        out.push(`${indent}${o.sign} ${o.label}`);
        for (const l of o.hunks) out.push(`${indent}    ${l}`);
      }
    }
    if (s.connections.length) {
      out.push('connections:');
      for (const c of s.connections) out.push(`  ${c.sign} ${c.src} => ${c.dst} : ${c.conns}`);
    }
    if (s.identity.length) {
      out.push('identity (group -> Twingate resources -> Kubernetes role):');
      for (const i of s.identity) {
        if (i.before && i.sign !== '+') out.push(`  - ${grantText(i.group, i.before)}`);
        if (i.after && i.sign !== '-') out.push(`  + ${grantText(i.group, i.after)}`);
      }
    }
  }
  if (report.unchanged.length) out.push('', `unchanged: ${report.unchanged.join(', ')}`);
  return out.join('\n');
}

/** A code fence longer than any backtick run in `text`. */
function fenced(lang: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** Lines of one object's diff shown in a PR comment; the rest is counted (GitHub caps comments at 65,536 characters). */
const MARKDOWN_DIFF_LINES = 200;

function formatMarkdown(report: Report): string {
  const out = [`**${summary(report)}**`, ''];
  out.push(`\`pnpm diff\`: the working tree against ${baseText(report)}.${report.unchanged.length ? ` Unchanged: ${report.unchanged.join(', ')}.` : ''}`);
  for (const s of report.sections) {
    out.push('', '<details>', `<summary><b>${s.name}</b>: ${sectionSummary(s)}</summary>`, '');
    if (s.objects.length) {
      out.push('#### Manifests', '', '| | component | object |', '| --- | --- | --- |');
      for (const o of s.objects) out.push(`| ${o.sign} | ${cell(o.component || '-')} | ${cell(o.label)} |`);
      for (const o of s.objects.filter((x) => x.sign === '~')) {
        const shown = o.hunks.slice(0, MARKDOWN_DIFF_LINES);
        const more = o.hunks.length - shown.length;
        const text = [`--- a/${o.path}`, `+++ b/${o.path}`, ...shown, ...(more > 0 ? [`... ${more} more lines (run pnpm diff)`] : [])].join('\n');
        out.push('', `<details><summary>~ ${o.component ? `${o.component}: ` : ''}${o.label}</summary>`, '', fenced('diff', text), '', '</details>');
      }
      out.push('');
    }
    if (s.connections.length) {
      out.push('#### Connections', '', fenced('diff', s.connections.map((c) => `${c.sign} ${c.src} => ${c.dst} : ${c.conns}`).join('\n')), '');
    }
    if (s.identity.length) {
      out.push('#### Identity', '', '| | group | Twingate resources | Kubernetes role |', '| --- | --- | --- | --- |');
      const res = (g?: Grant) => (g ? (g.resources.length ? g.resources.join(', ') : '-') : '');
      const role = (g?: Grant) => (g ? (g.role ?? '-') : '');
      const change = (a: string, b: string, sign: Sign) => (sign === '~' && a !== b ? `${a} → ${b}` : sign === '-' ? a : b);
      for (const i of s.identity) {
        out.push(
          `| ${i.sign} | ${cell(i.group)} | ${cell(change(res(i.before), res(i.after), i.sign))} | ${cell(change(role(i.before), role(i.after), i.sign))} |`,
        );
      }
      out.push('');
    }
    out.push('</details>');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The command

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return guard(io, async () => {
    const program = new Command('diff')
      .description('What a change does: manifests, connections and identity of the working tree against a base revision')
      .option('-b, --base <git-ref>', 'revision to compare with (default: the merge base of HEAD and origin/main, else main)')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'markdown']).default('text'))
      .option('--exit-code', 'exit 1 when anything changed (like git diff --exit-code)', false)
      .option('--charts <dir>', 'directory of upstream charts for both renders (default: $ZT_CHARTS_DIR, else .charts/)')
      .option('-C, --repo <dir>', 'the repository to compare (default: this checkout); its working tree renders with this code', REPO_ROOT)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    program.parse(argv, { from: 'user' });
    const opts = program.opts<{ base?: string; format: 'text' | 'markdown'; exitCode: boolean; charts?: string; repo: string }>();
    const repo = resolve(opts.repo);
    const chartsDir = opts.charts ? resolve(opts.charts) : process.env.ZT_CHARTS_DIR ? defaultChartsDir() : join(repo, '.charts');
    const base = resolveBase(repo, opts.base);
    // The base renders in child processes while the working tree renders here.
    const baseSide = renderBase(repo, base.sha, chartsDir);
    // Handled below; without this a base failure during the working-tree render would be unhandled.
    baseSide.catch(() => undefined);
    let head: Side;
    try {
      head = await renderWorkingTree(repo, chartsDir);
    } catch (e) {
      await baseSide.catch(() => undefined);
      throw e;
    }
    const report = compare(await baseSide, head, base);
    io.out(opts.format === 'markdown' ? formatMarkdown(report) : formatText(report));
    return opts.exitCode && report.sections.length > 0 ? 1 : 0;
  });
}

runIfMain(module, main);
