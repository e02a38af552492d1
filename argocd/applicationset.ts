/**
 * Two ApplicationSets per environment, one per AppProject: (Argo CD clusters labelled
 * `<clusterLabel>=<env>`) x (component directories), one Application per pair.
 * - `<env>-platform`: exactly the directories of the environment's platform components, each
 *   path listed (synth knows them from the registry), project `<env>-platform`;
 * - `<env>-apps`: every other `dist/<env>/*\/component.json` (the glob, minus the platform
 *   paths), project `<env>-apps`, which refuses RBAC, NetworkPolicies, CRDs, webhooks and
 *   Namespaces. A new directory lands in the restricted project unless this file names it.
 * Adding an app is adding its directory; onboarding a cluster is labelling its cluster Secret.
 *
 * The project is hard-coded per ApplicationSet (a templated project would let whoever writes
 * component.json pick a more privileged one), and which set picks a directory up depends on
 * its path only, never on component.json. What varies between components (sync options,
 * ignored fields) comes from component.json through `templatePatch`, since lists and objects
 * cannot be templated as strings.
 */
import type { Chart } from 'cdk8s';
import { ApplicationSet } from '../imports/argocd-applicationset-argoproj.io';
import { COMMON_LABELS } from '../lib/component';
import type { Environment } from '../lib/environment';
import { type ComponentKind, METADATA_FILE, projectName, VALUES_FILE } from './component-metadata';
import { type ArgoConfig, revisionFor } from './settings';

/** Retry policy shared by every generated Application: rides out "namespace/CRD not there yet". */
export const RETRY = { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } as const;

/** Label carrying the component name on generated Applications. */
const COMPONENT_LABEL = 'zt-eks-gitops/component';

/** Git files generator path of an environment's component metadata. */
const metadataGlob = (env: string) => `dist/${env}/*/${METADATA_FILE}`;
const metadataPath = (env: string, component: string) => `dist/${env}/${component}/${METADATA_FILE}`;

/** The git files of each kind: platform directories by name; apps by glob, platform directories excluded. */
function metadataFiles(env: string, kind: ComponentKind, platform: readonly string[]): { path: string; exclude?: boolean }[] {
  const named = [...platform].sort().map((c) => metadataPath(env, c));
  return kind === 'platform' ? named.map((path) => ({ path })) : [{ path: metadataGlob(env) }, ...named.map((path) => ({ path, exclude: true }))];
}

/** Name of an Application: cluster, then component, both normalised to RFC 1123 by Argo CD. */
const APP_NAME = '{{ .nameNormalized }}-{{ .path.basenameNormalized }}';

/**
 * The Go template applied as a patch to each Application: one plain directory source of this
 * repository (charts were rendered into it by synth). JSON-quoted values (`toJson`) keep YAML
 * from reinterpreting strings; lists and objects come from component.json.
 */
function templatePatch(config: ArgoConfig, env: string): string {
  const repo = JSON.stringify(config.repoURL);
  const rev = JSON.stringify(revisionFor(config, env));
  return [
    'spec:',
    '  source:',
    `    repoURL: ${repo}`,
    `    targetRevision: ${rev}`,
    '    path: "{{ .path.path }}"',
    '    directory:',
    `      exclude: "{${METADATA_FILE},${VALUES_FILE}}"`,
    '  syncPolicy:',
    '    syncOptions: {{ toJson .component.syncOptions }}',
    '  ignoreDifferences: {{ toJson .component.ignoreDifferences }}',
    '',
  ].join('\n');
}

/** The environment's two ApplicationSets; `platform` names its platform components' directories. */
export function addApplicationSets(chart: Chart, config: ArgoConfig, env: Environment, platform: readonly string[]): void {
  for (const kind of ['platform', 'apps'] as const) addApplicationSet(chart, config, env, kind, platform);
}

function addApplicationSet(chart: Chart, config: ArgoConfig, env: Environment, kind: ComponentKind, platform: readonly string[]): void {
  new ApplicationSet(chart, `applicationset-${env.name}-${kind}`, {
    metadata: { name: `${env.name}-${kind}`, namespace: config.namespace, labels: { ...COMMON_LABELS } },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        {
          matrix: {
            generators: [
              { clusters: { selector: { matchLabels: { [config.clusterLabel]: env.name } } } },
              { git: { repoUrl: config.repoURL, revision: revisionFor(config, env.name), files: metadataFiles(env.name, kind, platform) } },
            ],
          },
        },
      ],
      // On-call may switch automation off on one Application during an incident without the
      // controller switching it back; the git value applies again once they remove their edit.
      ignoreApplicationDifferences: [{ jsonPointers: ['/spec/syncPolicy/automated'] }],
      template: {
        metadata: {
          name: APP_NAME,
          labels: { ...COMMON_LABELS, [config.clusterLabel]: env.name, [COMPONENT_LABEL]: '{{ .path.basenameNormalized }}' },
          annotations: { 'argocd.argoproj.io/sync-wave': '{{ .component.wave }}' },
        },
        spec: {
          project: projectName(env, kind),
          destination: { name: '{{ .name }}', namespace: '{{ .component.namespace }}' },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: { limit: RETRY.limit, backoff: { ...RETRY.backoff } },
          },
        },
      },
      templatePatch: templatePatch(config, env.name),
    },
  });
}
