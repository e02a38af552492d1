/**
 * Where publishers release charts that no registered component installs yet (the charts of
 * components to come, kept in the lock so their digests are reviewed once). The repositories of
 * registered components come from the components themselves (platform/registry.ts).
 */

/**
 * The publishers' repositories, by chart name: `oci://` registries (the chart is
 * `<repository>/<chart>`) or classic `https://` Helm repositories. `pnpm charts lock` takes a
 * chart's repository from here when the lock does not name one yet.
 */
export const PUBLISHER_REPOSITORIES: Readonly<Record<string, string>> = {
  'argo-cd': 'https://argoproj.github.io/argo-helm',
  'aws-gateway-controller-chart': 'oci://public.ecr.aws/aws-application-networking-k8s',
  'cert-manager': 'https://charts.jetstack.io',
  'external-secrets': 'https://charts.external-secrets.io',
  kyverno: 'https://kyverno.github.io/kyverno',
  spire: 'https://spiffe.github.io/helm-charts-hardened',
  'spire-crds': 'https://spiffe.github.io/helm-charts-hardened',
  'tailscale-operator': 'https://pkgs.tailscale.com/helmcharts',
};
