/**
 * The upstream charts the platform renders, and where their publishers release them.
 *
 * `pinnedCharts()` is a stub listing the Twingate charts; it is meant to be replaced by a list
 * derived from the component registry (every chart version any environment pins).
 */
import type { ChartRef } from './source';

/**
 * The publishers' repositories, by chart name: `oci://` registries (the chart is
 * `<repository>/<chart>`) or classic `https://` Helm repositories. `pnpm charts lock` takes a
 * chart's repository from here when the lock does not name one yet.
 */
export const PUBLISHER_REPOSITORIES: Readonly<Record<string, string>> = {
  'argo-cd': 'https://argoproj.github.io/argo-helm',
  'aws-gateway-controller-chart': 'oci://public.ecr.aws/aws-application-networking-k8s',
  'cert-manager': 'https://charts.jetstack.io',
  connector: 'https://twingate.github.io/helm-charts',
  'external-secrets': 'https://charts.external-secrets.io',
  gateway: 'oci://ghcr.io/twingate/helmcharts',
  kyverno: 'https://kyverno.github.io/kyverno',
  spire: 'https://spiffe.github.io/helm-charts-hardened',
  'spire-crds': 'https://spiffe.github.io/helm-charts-hardened',
  'tailscale-operator': 'https://pkgs.tailscale.com/helmcharts',
  'twingate-operator': 'oci://ghcr.io/twingate/helmcharts',
};

/** The charts `pnpm charts pull` fetches (stub: the Twingate charts). */
export function pinnedCharts(): ChartRef[] {
  return [
    { chart: 'twingate-operator', version: '2.0.0', repository: 'oci://ghcr.io/twingate/helmcharts' },
    { chart: 'gateway', version: '1.0.0', repository: 'oci://ghcr.io/twingate/helmcharts' },
    { chart: 'connector', version: '0.1.35', repository: 'https://twingate.github.io/helm-charts' },
  ];
}
