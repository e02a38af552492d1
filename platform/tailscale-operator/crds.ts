/**
 * The Tailscale CRDs, delivered by the tailscale-operator component because the chart copy
 * carries none (the published chart gets them at packaging time; see docs/tailscale.md).
 *
 * Interim, isolated on purpose: the upstream files are vendored in `crds/` beside this file
 * (tailscale/tailscale `cmd/k8s-operator/deploy/crds` at tag v1.102.3, 53a0d65, unchanged) and
 * pinned by {@link TAILSCALE_CRDS_DIGEST}, the digest charts.lock.json uses for chart folders.
 * When the platform's general way for a component to deliver upstream CRDs lands, this file is
 * replaced by a declaration of that mechanism; nothing else reads it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject, type Chart } from 'cdk8s';
import { parse } from 'yaml';
import { chartDigest } from '../../lib/charts/source';
import { SYNC_OPTIONS_ANNOTATION } from '../shared/sync-waves';

/** Where the vendored CRD files are. */
export const TAILSCALE_CRDS_DIR = join(__dirname, 'crds');
/** sha256 over the folder (relative path, length, bytes of each file), as for chart folders. */
export const TAILSCALE_CRDS_DIGEST = 'sha256:0ba2511977a435224c1e8febe755e0e3cfbf9a242957a4a778e6c53f1e8994c6';

interface Crd {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly annotations?: Record<string, string> };
  readonly spec: { readonly group: string; readonly scope: string; readonly names: { readonly kind: string } };
}

let cached: Crd[] | undefined;

/** The CRDs, parsed, sorted by name; throws when the folder is not the pinned content. */
export function tailscaleCrds(dir = TAILSCALE_CRDS_DIR): Crd[] {
  if (dir === TAILSCALE_CRDS_DIR && cached) return cached;
  const digest = chartDigest(dir);
  if (digest !== TAILSCALE_CRDS_DIGEST) throw new Error(`internal: ${dir} has digest ${digest}, pinned ${TAILSCALE_CRDS_DIGEST}; review the vendored CRDs`);
  const crds = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Crd)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  if (dir === TAILSCALE_CRDS_DIR) cached = crds;
  return crds;
}

/**
 * Adds the CRDs to `chart`. Server-side apply (proxyclasses is 179 KB, near the 256 KB
 * last-applied annotation limit of client-side apply) and never pruned: deleting a CRD deletes
 * every object of its kind, which must be a decision, not a side effect of a sync.
 */
export function renderTailscaleCrds(chart: Chart): void {
  for (const crd of tailscaleCrds()) {
    new ApiObject(chart, `crd-${crd.metadata.name}`, {
      ...crd,
      metadata: { ...crd.metadata, annotations: { ...crd.metadata.annotations, [SYNC_OPTIONS_ANNOTATION]: 'Prune=false,ServerSideApply=true' } },
    });
  }
}
