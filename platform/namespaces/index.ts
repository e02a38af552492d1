import { k8s } from 'cdk8s-plus-28';
import { COMMON_LABELS, type Component } from '../../lib/component';
import { privilegedNamespaces } from '../shared/pod-security';

/**
 * Pod Security Admission level for every namespace the platform owns. `restricted` is the
 * contract; the few exceptions, each with its reason, are in platform/shared/pod-security.ts.
 */
export const POD_SECURITY_LEVEL = 'restricted';

/** The Namespace objects, so that labels (Pod Security, selectors) are in git, not in Argo CD. */
export const namespaces = {
  name: 'namespaces',
  enabled: 'always',
  // Before everything that lives in these namespaces (see docs/argocd.md, "Ordering").
  stage: 'foundation',
  render(chart, env) {
    const privileged = privilegedNamespaces(env);
    for (const name of env.namespaces) {
      const level = privileged.has(name) ? 'privileged' : POD_SECURITY_LEVEL;
      new k8s.KubeNamespace(chart, `ns-${name}`, {
        metadata: {
          name,
          labels: {
            ...COMMON_LABELS,
            // Set by the API server anyway; written here so the rendered YAML is what selectors see.
            'kubernetes.io/metadata.name': name,
            'pod-security.kubernetes.io/enforce': level,
            'pod-security.kubernetes.io/audit': level,
            'pod-security.kubernetes.io/warn': level,
          },
          ...(privileged.has(name) ? { annotations: { 'zt-eks-gitops/pod-security-reason': privileged.get(name)! } } : {}),
        },
      });
    }
  },
} satisfies Component;
