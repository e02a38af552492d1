import { k8s } from 'cdk8s-plus-28';
import { COMMON_LABELS, type Component } from '../../lib/component';

/**
 * Pod Security Admission level for every namespace the platform owns. `restricted` is the
 * contract: workloads that need more belong in a namespace the platform does not own.
 */
export const POD_SECURITY_LEVEL = 'restricted';

/** The Namespace objects, so that labels (Pod Security, selectors) are in git, not in Argo CD. */
export const namespaces = {
  name: 'namespaces',
  enabled: 'always',
  // Before everything that lives in these namespaces (see docs/argocd.md, "Ordering").
  stage: 'foundation',
  render(chart, env) {
    for (const name of env.namespaces) {
      new k8s.KubeNamespace(chart, `ns-${name}`, {
        metadata: {
          name,
          labels: {
            ...COMMON_LABELS,
            // Set by the API server anyway; written here so the rendered YAML is what selectors see.
            'kubernetes.io/metadata.name': name,
            'pod-security.kubernetes.io/enforce': POD_SECURITY_LEVEL,
            'pod-security.kubernetes.io/audit': POD_SECURITY_LEVEL,
            'pod-security.kubernetes.io/warn': POD_SECURITY_LEVEL,
          },
        },
      });
    }
  },
} satisfies Component;
