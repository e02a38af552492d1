/**
 * `pnpm guard`: kube-score over rendered manifests and gitleaks over the repository, one
 * summary line, exit 1 with one line per finding; a `kube-score/ignore` annotation (what synth
 * writes from a component's scoreExceptions) is honoured.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTool, main as guardMain } from '../../../lib/cli/guard';
import { SCORE_IGNORE_ANNOTATION, SCORE_REASON_ANNOTATION } from '../../../lib/component';
import { withScoreExceptions } from '../../../lib/synth';
import { captureIo, tempDir } from '../../support';

/** A restricted-compliant Deployment whose container only lacks an ephemeral-storage request and limit. */
function deployment(annotations?: Record<string, string>): string {
  const meta = annotations
    ? `\n  annotations:\n${Object.entries(annotations)
        .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
        .join('\n')}`
    : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
  namespace: demo${meta}
spec:
  replicas: 2
  selector:
    matchLabels: { app: demo }
  template:
    metadata:
      labels: { app: demo }
    spec:
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: RuntimeDefault } }
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm: { topologyKey: kubernetes.io/hostname, labelSelector: { matchLabels: { app: demo } } }
      containers:
        - name: demo
          image: registry.example/demo:1.2.3
          imagePullPolicy: Always
          readinessProbe: { tcpSocket: { port: 8080 } }
          resources:
            requests: { cpu: 10m, memory: 16Mi }
            limits: { cpu: 100m, memory: 32Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 65532
            runAsGroup: 65532
            capabilities: { drop: [ALL] }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: demo, namespace: demo }
spec:
  minAvailable: 1
  selector:
    matchLabels: { app: demo }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: demo }
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`;
}

function distWith(content: string): string {
  const dist = tempDir('zt-guard-');
  mkdirSync(join(dist, 'dev', 'demo'), { recursive: true });
  writeFileSync(join(dist, 'dev', 'demo', 'deployment.demo.demo.yaml'), content);
  // Not manifests: never given to kube-score.
  writeFileSync(join(dist, 'dev', 'demo', 'values.yaml'), 'replicas: 1\n');
  writeFileSync(join(dist, 'dev', 'demo', 'component.json'), '{}\n');
  writeFileSync(join(dist, 'dev', 'ACCESS.md'), '# access\n');
  return dist;
}

describe.skipIf(!findTool('kube-score'))('pnpm guard (kube-score)', () => {
  it('fails with one line per finding and a summary', async () => {
    const io = captureIo();
    const code = await guardMain(['--dist', distWith(deployment()), '--no-gitleaks'], io);
    expect(code).toBe(1);
    expect(io.lines.out[0]).toMatch(/^guard: 1 finding \(kube-score over 1 manifests in 1 trees\)$/);
    expect(io.lines.out.slice(1)).toEqual([expect.stringMatching(/^kube-score: dev Deployment demo\/demo: container-ephemeral-storage-request-and-limit: /)]);
  });

  it('passes when the object carries the exception synth writes (kube-score/ignore and the reason)', async () => {
    const annotations = {
      [SCORE_IGNORE_ANNOTATION]: 'container-ephemeral-storage-request-and-limit',
      [SCORE_REASON_ANNOTATION]: 'container-ephemeral-storage-request-and-limit: a test',
    };
    const io = captureIo();
    const code = await guardMain(['--dist', distWith(deployment(annotations)), '--no-gitleaks'], io);
    expect(io.lines.out).toEqual(['guard: 0 findings (kube-score over 1 manifests in 1 trees)']);
    expect(code).toBe(0);
  });
});

describe.skipIf(!findTool('gitleaks'))('pnpm guard (gitleaks)', () => {
  it('reports a leaked key by file, line and rule', async () => {
    const dist = distWith(deployment({ [SCORE_IGNORE_ANNOTATION]: 'container-ephemeral-storage-request-and-limit' }));
    const repo = tempDir('zt-guard-repo-');
    // An AWS access key id shaped like a real one (not the documented EXAMPLE key gitleaks allows).
    writeFileSync(join(repo, 'leak.env'), `AWS_ACCESS_KEY_ID=AKIA${'QZ7XW4YB3N2M5K6J'}\n`);
    const io = captureIo();
    const code = await guardMain(['--dist', dist, '--repo', repo], io);
    expect(code).toBe(1);
    expect(io.lines.out[0]).toMatch(/^guard: \d+ findings? .*gitleaks/);
    expect(io.lines.out).toContainEqual(expect.stringMatching(/^gitleaks: leak\.env:1: /));
  });
});

describe('scoreExceptions applied by synth', () => {
  const obj = (kind: string, name: string, annotations?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace: 'ns', ...(annotations ? { annotations } : {}) },
  });

  it('annotates matching objects only, merging checks and keeping existing annotations', () => {
    const out = withScoreExceptions(
      [obj('Deployment', 'a', { keep: 'me' }), obj('Deployment', 'b'), obj('Service', 'a')],
      [
        { check: 'pod-probes-identical', reason: 'upstream probes', kinds: ['Deployment'], names: ['a'] },
        { check: 'container-image-pull-policy', reason: 'pinned', kinds: ['Deployment'] },
      ],
    );
    expect(out[0]!.metadata.annotations).toEqual({
      keep: 'me',
      [SCORE_IGNORE_ANNOTATION]: 'container-image-pull-policy,pod-probes-identical',
      [SCORE_REASON_ANNOTATION]: 'container-image-pull-policy: pinned\npod-probes-identical: upstream probes',
    });
    expect(out[1]!.metadata.annotations).toEqual({
      [SCORE_IGNORE_ANNOTATION]: 'container-image-pull-policy',
      [SCORE_REASON_ANNOTATION]: 'container-image-pull-policy: pinned',
    });
    expect(out[2]!.metadata.annotations).toBeUndefined();
  });
});
