/**
 * The typed Argo CD configuration (`argocd/config.ts`): repository URL, revisions, the Argo CD
 * namespace and the cluster label. Validated when synth loads it, with the same one-line
 * `path: message` errors as environments.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { formatPath } from '../lib/environment';
import { UserError } from '../lib/errors';

const show = (value: unknown) => JSON.stringify(value);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A qualified label key: optional DNS-subdomain prefix, then a name (Kubernetes rules). */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * `https://host/path` or `ssh://git@host/path` or scp-like `git@host:path`. Credentials never
 * belong in the URL: Argo CD reads them from a repository Secret.
 */
const repoURL = z.string().superRefine((s, ctx) => {
  const scp = /^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:[A-Za-z0-9_./-]+$/.test(s);
  let url: URL | undefined;
  try {
    url = new URL(s);
  } catch {
    url = undefined;
  }
  if (!scp && !(url && (url.protocol === 'https:' || url.protocol === 'ssh:') && url.hostname && url.pathname.length > 1)) {
    ctx.addIssue({
      code: 'custom',
      message: `${show(s)} is not a git repository URL (https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git)`,
    });
    return;
  }
  if (url && url.protocol === 'https:' && (url.username || url.password)) {
    ctx.addIssue({ code: 'custom', message: `${show(s)} carries credentials; put them in an Argo CD repository Secret, never in git` });
  }
  if (/[*?{}\s]/.test(s)) ctx.addIssue({ code: 'custom', message: `${show(s)} contains a glob or blank; AppProject sourceRepos must be exact` });
});

/** A branch, tag or commit: what `git rev-parse` accepts, minus ranges and blanks. */
const revision = z.string().refine((s) => s.length > 0 && s.length <= 255 && !/[\s~^:?*[\\]|\.\.|^-|\/$|\.lock$/.test(s) && s !== 'HEAD', {
  error: (i) => `${show(i.input)} is not a git revision (a branch, tag or commit SHA; not HEAD, which follows whatever the server defaults to)`,
});

export const argoConfigSchema = z.strictObject({
  /** This repository, exactly as Argo CD's repository Secret names it. */
  repoURL,
  /** Branch, tag or commit every environment syncs from. */
  targetRevision: revision,
  /**
   * Per-environment revision, e.g. prod on a release branch. Keys are environment names.
   * @default {} (every environment follows `targetRevision`)
   */
  environments: z.record(z.string(), z.strictObject({ targetRevision: revision })).default({}),
  /** Namespace Argo CD runs in on the management cluster. @default "argocd" */
  namespace: z
    .string()
    .refine((s) => DNS_LABEL.test(s) && s.length <= 63, { error: (i) => `${show(i.input)} is not a namespace name` })
    .default('argocd'),
  /**
   * Label of Argo CD cluster Secrets whose value is the environment name; the ApplicationSets'
   * cluster generators select on it. @default "zt-eks-gitops/environment"
   */
  clusterLabel: z
    .string()
    .refine((s) => s.length <= 253 && LABEL_KEY.test(s), { error: (i) => `${show(i.input)} is not a label key` })
    .default('zt-eks-gitops/environment'),
});

type ArgoConfigInput = z.input<typeof argoConfigSchema>;
export type ArgoConfig = z.output<typeof argoConfigSchema>;

/** Identity function that gives `argocd/config.ts` type checking and completion. */
export function defineArgoConfig(input: ArgoConfigInput): ArgoConfigInput {
  return input;
}

/** Directory under dist/ that holds the Argo CD objects; no environment may take the name. */
export const ARGOCD_DIR = 'argocd';

/**
 * Validates the configuration against the environments it will serve. `source` names the file
 * in error messages.
 */
export function validateArgoConfig(input: unknown, envNames: readonly string[], source = 'argocd/config.ts'): ArgoConfig {
  const config = parseArgoConfig(input, source);
  for (const name of Object.keys(config.environments)) {
    if (!envNames.includes(name)) {
      throw new UserError(`${source}: environments[${show(name)}]: no environment named ${show(name)} (known: ${envNames.join(', ')})`);
    }
  }
  if (envNames.includes(ARGOCD_DIR)) {
    throw new UserError(`environment ${show(ARGOCD_DIR)}: name: is reserved for dist/${ARGOCD_DIR}/ (the Argo CD objects)`);
  }
  return config;
}

/** The configuration's own fields checked (not against the environments); one-line UserError naming `source`. */
export function parseArgoConfig(input: unknown, source = 'argocd/config.ts'): ArgoConfig {
  const parsed = argoConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = formatPath(issue.path);
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map(show).join(', ')}`
        : issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined
          ? 'is required'
          : issue.message;
    throw new UserError(`${source}: ${path ? `${path}: ` : ''}${message}`);
  }
  return parsed.data;
}

/** Where Argo CD's repo-server reaches the repository: host and TCP port (https 443, ssh 22, unless the URL names one). */
export function gitHost(repoURL: string): { host: string; port: number; scheme: 'https' | 'ssh' } {
  const scp = /^[A-Za-z0-9_.-]+@([A-Za-z0-9.-]+):/.exec(repoURL);
  if (scp) return { host: scp[1]!, port: 22, scheme: 'ssh' };
  const url = new URL(repoURL);
  const scheme = url.protocol === 'ssh:' ? 'ssh' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : scheme === 'ssh' ? 22 : 443, scheme };
}

/**
 * The name of an environment's Argo CD cluster Secret, which the Applications' destinations and
 * the AppProjects name: the EKS cluster's name (`cluster.name`, unique across environments).
 * Infra writes the Secret under this name (GitOps Bridge), labelled `<clusterLabel>=<env>`.
 */
export function clusterSecretName(env: { readonly cluster: { readonly name: string } }): string {
  return env.cluster.name;
}

/** The revision an environment syncs from. */
export function revisionFor(config: ArgoConfig, env: string): string {
  return config.environments[env]?.targetRevision ?? config.targetRevision;
}

export const DEFAULT_ARGO_CONFIG = join(__dirname, 'config.ts');

/** Loads `argocd/config.ts` (or another module default-exporting a config) and validates it. */
export async function loadArgoConfig(envNames: readonly string[], file = DEFAULT_ARGO_CONFIG): Promise<ArgoConfig> {
  const shown = relative(process.cwd(), file) || file;
  if (!existsSync(file)) throw new UserError(`Argo CD config ${shown} does not exist`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    throw new UserError(`cannot load ${shown}: ${String((e as Error).message ?? e).split('\n')[0]}`);
  }
  let value = mod.default;
  if (value && typeof value === 'object' && 'default' in value && !('repoURL' in value)) value = (value as { default: unknown }).default;
  if (value === undefined) throw new UserError(`${shown} has no default export (export default defineArgoConfig({...}))`);
  return validateArgoConfig(value, envNames, shown);
}
