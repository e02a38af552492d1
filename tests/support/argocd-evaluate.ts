/**
 * A small, strict model of what Argo CD's ApplicationSet controller does with the objects in
 * dist/argocd/: cluster generator (label selector) x git files/directories generator over a
 * file tree, Go templates with `missingkey=error`, `templatePatch`; then what the AppProject
 * admits. Tests run it over the real dist/ and over fixture trees; it is deliberately narrower
 * than Argo CD (anything outside the subset it knows throws), so a template this project emits
 * that it cannot evaluate fails loudly instead of passing by accident.
 */
import { parse } from 'yaml';
import { METADATA_FILE, VALUES_FILE } from '../../argocd/component-metadata';
import { groupOf } from '../../lib/kinds';

type Params = Record<string, unknown>;

type Obj = Record<string, any>;

/** An Argo CD cluster Secret, as the cluster generator sees it. */
export interface ClusterSecret {
  readonly name: string;
  readonly server: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Argo CD's `utils.SanitizeName`, used for `nameNormalized` and `basenameNormalized`. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^-a-z0-9.]/g, '-')
    .slice(0, 253)
    .replace(/^[-.]+|[-.]+$/g, '');
}

// ---------------------------------------------------------------------------------------------
// Go templates (text/template + sprig), the subset this project uses

type Node = { text: string } | { expr: string } | { cond: string; yes: Node[]; no: Node[] };

function tokenize(src: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    const close = src.indexOf('}}', open);
    if (close < 0) throw new Error(`template: unclosed action at offset ${open}`);
    let action = src.slice(open + 2, close);
    if (action.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      action = action.slice(2);
    }
    let next = close + 2;
    if (action.endsWith(' -')) {
      action = action.slice(0, -2);
      while (next < src.length && /\s/.test(src[next]!)) next++;
    }
    if (text) out.push({ text });
    out.push({ action: action.trim() });
    i = next;
  }
  return out;
}

function parseTemplate(src: string): Node[] {
  const tokens = tokenize(src);
  let pos = 0;
  const block = (inIf: boolean): { nodes: Node[]; end: 'end' | 'else' | 'eof' } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if ('text' in t) {
        nodes.push(t);
        continue;
      }
      if (t.action === 'end' || t.action === 'else') {
        if (!inIf) throw new Error(`template: unexpected {{ ${t.action} }}`);
        return { nodes, end: t.action };
      }
      if (t.action.startsWith('if ')) {
        const then = block(true);
        const otherwise = then.end === 'else' ? block(true) : { nodes: [], end: 'end' as const };
        if (then.end === 'eof' || otherwise.end !== 'end') throw new Error(`template: {{ ${t.action} }} has no {{ end }}`);
        nodes.push({ cond: t.action.slice(3).trim(), yes: then.nodes, no: otherwise.nodes });
        continue;
      }
      nodes.push({ expr: t.action });
    }
    if (inIf) return { nodes, end: 'eof' };
    return { nodes, end: 'eof' };
  };
  return block(false).nodes;
}

/** `.a.b.c` with `missingkey=error`: an absent key is an error, a present null is null. */
function field(path: string, params: Params): unknown {
  if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(path)) throw new Error(`template: unsupported expression ${JSON.stringify(path)}`);
  let value: unknown = params;
  for (const key of path.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`template: can't evaluate field ${key} in ${path}`);
    if (!(key in (value as Obj))) throw new Error(`template: map has no entry for key "${key}" (${path})`);
    value = (value as Obj)[key];
  }
  return value;
}

function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Obj)[k])]),
          )
        : v;
  return JSON.stringify(sort(value));
}

function evalExpr(expr: string, params: Params): unknown {
  const parts = expr.split(/\s+/);
  if (parts.length === 1) return field(parts[0]!, params);
  if (parts.length === 2 && parts[0] === 'toJson') return { json: sortedJson(field(parts[1]!, params)) };
  throw new Error(`template: unsupported expression ${JSON.stringify(expr)}`);
}

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function print(v: unknown, expr: string): string {
  if (v && typeof v === 'object' && 'json' in (v as Obj) && Object.keys(v as Obj).length === 1 && typeof (v as Obj).json === 'string') return (v as Obj).json;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  // Go would print "<no value>" or "map[...]": never what a manifest wants.
  throw new Error(`template: {{ ${expr} }} prints ${v === null ? 'null' : typeof v}; use toJson`);
}

/** Renders a Go template with `missingkey=error` semantics. */
export function renderGoTemplate(src: string, params: Params): string {
  const run = (nodes: Node[]): string =>
    nodes
      .map((n) => ('text' in n ? n.text : 'expr' in n ? print(evalExpr(n.expr, params), n.expr) : run(truthy(evalExpr(n.cond, params)) ? n.yes : n.no)))
      .join('');
  return run(parseTemplate(src));
}

function renderStrings(value: unknown, params: Params): unknown {
  if (typeof value === 'string') return value.includes('{{') ? renderGoTemplate(value, params) : value;
  if (Array.isArray(value)) return value.map((v) => renderStrings(v, params));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderStrings(v, params)]));
  return value;
}

/** Strategic merge as it applies to Application (no list merge keys): maps merge, the rest replaces. */
function mergePatch(base: unknown, patch: unknown): unknown {
  if (patch && typeof patch === 'object' && !Array.isArray(patch) && base && typeof base === 'object' && !Array.isArray(base)) {
    const out: Obj = { ...(base as Obj) };
    for (const [k, v] of Object.entries(patch)) out[k] = mergePatch((base as Obj)[k], v);
    return out;
  }
  return patch;
}

// ---------------------------------------------------------------------------------------------
// Generators

/** A repository file tree: repo-relative `/` paths. */
type Tree = ReadonlySet<string> | ReadonlyMap<string, string>;

const paths = (tree: Tree): string[] => [...(tree instanceof Map ? tree.keys() : (tree as ReadonlySet<string>))];

/** Argo CD git generator globs: `*` never crosses `/` (new globbing), `**` does. */
export function globToRegExp(glob: string): RegExp {
  const re = glob
    .split(/(\*\*|\*|\?)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`);
}

function pathParams(dir: string, file?: string): Params {
  const base = dir.split('/').pop() ?? '';
  return {
    path: {
      path: dir,
      basename: base,
      basenameNormalized: sanitizeName(base),
      segments: dir.split('/'),
      ...(file !== undefined ? { filename: file, filenameNormalized: sanitizeName(file) } : {}),
    },
  };
}

function directories(tree: Tree): string[] {
  const dirs = new Set<string>();
  for (const p of paths(tree)) {
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}

function gitParams(git: Obj, tree: Tree, read: (path: string) => string): Params[] {
  if (git.files) {
    const out: Params[] = [];
    const matchers = (git.files as Obj[]).map((f) => ({ re: globToRegExp(f.path), exclude: f.exclude === true }));
    for (const p of paths(tree).sort()) {
      if (!matchers.some((m) => !m.exclude && m.re.test(p)) || matchers.some((m) => m.exclude && m.re.test(p))) continue;
      const content = p.endsWith('.json') ? JSON.parse(read(p)) : parse(read(p));
      const dir = p.split('/').slice(0, -1).join('/');
      out.push({ ...content, ...pathParams(dir, p.split('/').pop()!) });
    }
    return out;
  }
  if (git.directories) {
    const matchers = (git.directories as Obj[]).map((d) => ({ re: globToRegExp(d.path), exclude: d.exclude === true }));
    return directories(tree)
      .filter((d) => !d.split('/').pop()!.startsWith('.'))
      .filter((d) => matchers.some((m) => !m.exclude && m.re.test(d)) && !matchers.some((m) => m.exclude && m.re.test(d)))
      .map((d) => pathParams(d));
  }
  throw new Error('git generator without files or directories');
}

function matchesSelector(labels: Readonly<Record<string, string>>, selector: Obj | undefined): boolean {
  if (!selector) return true;
  if (selector.matchExpressions) throw new Error('cluster selector matchExpressions are not modelled');
  return Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
}

function clusterParams(c: ClusterSecret): Params {
  return { name: c.name, nameNormalized: sanitizeName(c.name), server: c.server, project: '', metadata: { labels: { ...c.labels }, annotations: {} } };
}

function runGenerator(gen: Obj, clusters: readonly ClusterSecret[], tree: Tree, read: (p: string) => string, upstream: Params = {}): Params[] {
  const keys = Object.keys(gen).filter((k) => k !== 'selector');
  if (keys.length !== 1) throw new Error(`a generator has exactly one kind (got ${keys.join(', ')})`);
  if (gen.selector) throw new Error('post selectors are not modelled');
  const [kind] = keys;
  if (kind === 'clusters') return clusters.filter((c) => matchesSelector(c.labels, gen.clusters.selector)).map(clusterParams);
  if (kind === 'git') {
    // The second child of a matrix may template its fields with the first child's parameters.
    const git = renderStrings(gen.git, upstream) as Obj;
    if (git.pathParamPrefix) throw new Error('pathParamPrefix is not modelled');
    return gitParams(git, tree, read);
  }
  if (kind === 'matrix') {
    const children = gen.matrix.generators as Obj[];
    if (children.length !== 2) throw new Error('a matrix has exactly two generators');
    const out: Params[] = [];
    for (const a of runGenerator(children[0]!, clusters, tree, read)) {
      for (const b of runGenerator(children[1]!, clusters, tree, read, a)) {
        const overlap = Object.keys(a).filter((k) => k in b);
        if (overlap.length) throw new Error(`matrix children both define ${overlap.join(', ')}`);
        out.push({ ...a, ...b });
      }
    }
    return out;
  }
  throw new Error(`generator ${kind} is not modelled`);
}

/** The Applications an ApplicationSet generates for `clusters` over `tree`. */
export function generateApplications(appset: Obj, clusters: readonly ClusterSecret[], tree: Tree, read: (p: string) => string): Obj[] {
  const spec = appset.spec as Obj;
  if (spec.goTemplate !== true) throw new Error(`${appset.metadata.name}: goTemplate must be true`);
  if (!(spec.goTemplateOptions ?? []).includes('missingkey=error')) throw new Error(`${appset.metadata.name}: goTemplateOptions must include missingkey=error`);
  const params = (spec.generators as Obj[]).flatMap((g) => runGenerator(g, clusters, tree, read));
  return params.map((p) => {
    const rendered = renderStrings(spec.template, p) as Obj;
    const patched = spec.templatePatch ? (mergePatch(rendered, parse(renderGoTemplate(spec.templatePatch, p))) as Obj) : rendered;
    if (patched.spec.project !== spec.template.spec.project) throw new Error('templatePatch may not change spec.project');
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { ...patched.metadata, namespace: appset.metadata.namespace },
      spec: patched.spec,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// What the AppProject admits

/** Parsed manifests by content: the trees share most files, and charts' CRDs are large. */
const PARSED = new Map<string, Obj>();
function parsedManifest(content: string): Obj {
  let doc = PARSED.get(content);
  if (doc === undefined) {
    doc = parse(content) as Obj;
    PARSED.set(content, doc);
  }
  return doc;
}

const RFC1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Everything wrong with one generated Application: a name Kubernetes rejects, a source or
 * destination its project does not allow, a path or values file that does not exist, a
 * manifest in its directory that would land outside the project's destinations or whitelist.
 */
export function applicationProblems(app: Obj, projects: readonly Obj[], tree: Tree, read: (p: string) => string): string[] {
  const name = String(app.metadata.name);
  const problems: string[] = [];
  const say = (m: string) => problems.push(`${name}: ${m}`);
  if (!RFC1123.test(name) || name.length > 63) say('name is not a DNS label');
  const project = projects.find((p) => p.metadata.name === app.spec.project);
  if (!project) return [`${name}: project ${JSON.stringify(app.spec.project)} does not exist`];
  const ps = project.spec as Obj;
  const sources = (app.spec.sources ?? (app.spec.source ? [app.spec.source] : [])) as Obj[];
  if (sources.length === 0) say('has no source');
  for (const s of sources)
    if (!(ps.sourceRepos as string[]).includes(s.repoURL)) say(`source ${s.repoURL} is not in project ${project.metadata.name}'s sourceRepos`);
  const destinations = (ps.destinations ?? []) as Obj[];
  const permitted = (ns: string) =>
    destinations.some((d) => (d.name ? d.name === app.spec.destination.name : d.server === app.spec.destination.server) && d.namespace === ns);
  if (!permitted(app.spec.destination.namespace))
    say(`destination ${app.spec.destination.name ?? app.spec.destination.server}/${app.spec.destination.namespace} is not permitted`);
  const whitelisted = (group: string, kind: string) => ((ps.clusterResourceWhitelist ?? []) as Obj[]).some((k) => k.group === group && k.kind === kind);

  const files = new Set(paths(tree));
  for (const s of sources) {
    if (s.path !== undefined) {
      const manifests = [...files].filter((f) => f.startsWith(`${s.path}/`) && !f.slice(s.path.length + 1).includes('/') && /\.(ya?ml|json)$/.test(f));
      const excluded = new Set(
        String(s.directory?.exclude ?? '')
          .replace(/^\{|\}$/g, '')
          .split(',')
          .filter(Boolean),
      );
      const deployed = manifests.filter((f) => !excluded.has(f.split('/').pop()!));
      if (![...files].some((f) => f.startsWith(`${s.path}/`))) say(`path ${s.path} does not exist`);
      else if (deployed.length === 0) say(`path ${s.path} has no manifests`);
      if (deployed.some((f) => [METADATA_FILE, VALUES_FILE].includes(f.split('/').pop()!)))
        say(`path ${s.path}: the directory source does not exclude ${METADATA_FILE}/${VALUES_FILE}`);
      for (const f of deployed) {
        for (const doc of [parsedManifest(read(f))].filter(Boolean) as Obj[]) {
          const group = groupOf(String(doc.apiVersion));
          if (doc.metadata?.namespace) {
            if (!permitted(doc.metadata.namespace)) say(`${f} deploys into namespace ${doc.metadata.namespace}, outside the project's destinations`);
            const refused = ((ps.namespaceResourceBlacklist ?? []) as Obj[]).some((k) => k.group === group && k.kind === doc.kind);
            if (refused) say(`${f} is a ${group || 'core'}/${doc.kind}, in the project's namespaceResourceBlacklist`);
            // Argo CD reads an empty namespaceResourceWhitelist as "every namespaced kind".
            const allowed = ps.namespaceResourceWhitelist as Obj[] | undefined;
            if (allowed?.length && !allowed.some((k) => k.group === group && k.kind === doc.kind))
              say(`${f} is a ${group || 'core'}/${doc.kind}, not in the project's namespaceResourceWhitelist`);
          } else if (!whitelisted(group, doc.kind)) {
            say(`${f} is a cluster-scoped ${group || 'core'}/${doc.kind}, not in the project's clusterResourceWhitelist`);
          }
        }
      }
    }
    // Synth renders charts into dist/: an Application that renders a chart in the cluster escapes review.
    if (s.chart !== undefined) say(`source ${s.repoURL} is a Helm chart; components are plain directories rendered by synth`);
  }
  const options = (app.spec.syncPolicy?.syncOptions ?? []) as string[];
  for (const o of options) if (/^(Replace|Force)=true$/.test(o)) say(`sync option ${o} would drop operator-written fields (Twingate spec.id)`);
  if (options.includes('CreateNamespace=true') && !whitelisted('', 'Namespace'))
    say("CreateNamespace=true needs Namespace in the project's clusterResourceWhitelist");
  return problems;
}

/**
 * The child Applications a parent Application syncs: every manifest directly in its directory
 * source (no recursion), each of which must be an Application.
 */
export function childApplications(parent: Obj, tree: Tree, read: (p: string) => string): Obj[] {
  const s = parent.spec.source as Obj;
  if (!s?.path || s.directory?.recurse !== false) throw new Error(`${parent.metadata.name}: a parent syncs one directory, not recursively`);
  return paths(tree)
    .filter((f) => f.startsWith(`${s.path}/`) && !f.slice(s.path.length + 1).includes('/') && /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const doc = parse(read(f)) as Obj;
      if (doc.kind !== 'Application') throw new Error(`${f}: a parent's directory holds Applications only, not a ${doc.kind}`);
      return doc;
    });
}

/** Component directories (`dist/<env>/<component>/`) that no Application deploys. */
export function orphanDirectories(tree: Tree, envs: readonly string[], apps: readonly Obj[]): string[] {
  const deployed = new Set(apps.flatMap((a) => ((a.spec.sources ?? [a.spec.source]) as Obj[]).map((s) => s?.path).filter(Boolean)));
  return directories(tree).filter((d) => {
    const segs = d.split('/');
    return segs.length === 3 && segs[0] === 'dist' && envs.includes(segs[1]!) && !deployed.has(d);
  });
}
