/**
 * Where Argo CD finds this repository, and how clusters are matched to environments. Change
 * `repoURL` to your fork before bootstrapping (see docs/argocd.md), then `pnpm synth`.
 */
import { defineArgoConfig } from './settings';

export default defineArgoConfig({
  repoURL: 'https://github.com/example-org/zt-eks-gitops.git',
  targetRevision: 'main',
});
