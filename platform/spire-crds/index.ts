/**
 * The spire-crds component: the SPIRE controller manager's CustomResourceDefinitions
 * (ClusterSPIFFEID, ClusterStaticEntry, ClusterFederatedTrustDomain) from the upstream
 * `spire-crds` chart, in their own Application so they exist before the spire component's
 * ClusterSPIFFEIDs sync (spire requires spire-crds, so its sync wave is derived after this one)
 * and survive it being removed (the chart marks them `keep`).
 */
import type { Component } from '../../lib/component';
import { spireSettingsOf } from '../spire';
import { spireSettings } from '../spire/settings';

export const spireCrds = {
  name: 'spire-crds',
  settings: spireSettings,
  namespace: (env) => spireSettingsOf(env).serverNamespace,
  chart: {
    repository: 'https://spiffe.github.io/helm-charts-hardened',
    chart: 'spire-crds',
    version: '0.6.0',
    releaseName: 'spire-crds',
    values: () => ({}),
  },
  render() {
    // Everything comes from the chart.
  },
} satisfies Component;
