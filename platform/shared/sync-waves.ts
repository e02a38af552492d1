/**
 * Ordering inside one Argo CD Application on a fresh cluster. Custom resources whose CRDs may
 * not exist yet at the first sync (the operator's CRDs arrive with its chart; cert-manager and
 * External Secrets are installed separately) carry a sync wave and
 * `SkipDryRunOnMissingResource=true`, so Argo CD does not fail the dry run and applies them once
 * the kinds exist; one sync (with its retries) converges.
 */
import type { ApiObjectMetadata } from 'cdk8s';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
export const SKIP_DRY_RUN = 'SkipDryRunOnMissingResource=true';

/**
 * Waves, relative to the chart's own objects (wave 0):
 * - `secrets` first, so Secrets exist before the pods that read them start;
 * - `certificate` before the gateway Deployment mounts its TLS Secret;
 * - `twingate` and `tailscale` after the operator (and its CRDs) are up, since the operator reconciles them;
 * - the Kyverno ClusterPolicy (`kyvernoPolicy`) after the Kyverno chart, whose CRDs define it;
 * - inside the cert-manager and external-secrets Applications, the issuers and the store after
 *   the chart (CRDs, controllers and webhooks healthy), the CA chain one link per wave: the
 *   self-signed root issuer, the CA Certificate (healthy once issued), the CA issuer reading it;
 *   the ClusterSecretStore (`providedStore`) likewise after the External Secrets chart.
 */
export const WAVES = {
  secrets: -1,
  certificate: -1,
  twingate: 1,
  tailscale: 1,
  rootIssuer: 1,
  caCertificate: 2,
  caIssuer: 3,
  providedStore: 1,
  kyvernoPolicy: 1,
} as const;

/** Annotations for a custom resource synced in `wave`. */
function customResourceAnnotations(wave: number): Record<string, string> {
  return { [SYNC_WAVE_ANNOTATION]: String(wave), [SYNC_OPTIONS_ANNOTATION]: SKIP_DRY_RUN };
}

/** Metadata of a namespaced custom resource of the platform. */
export function crMetadata(name: string, namespace: string | undefined, wave: number, labels: Record<string, string>): ApiObjectMetadata {
  return { name, ...(namespace ? { namespace } : {}), labels, annotations: customResourceAnnotations(wave) };
}
