import { describe, expect, it } from 'vitest';
import { applyArgs, classifyStderr, problemsOf } from '../../e2e/kubectl';

// What kubectl prints when Pod Security's warn mode objects to a Deployment (kube-apiserver 1.34).
const PSA =
  'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)';

describe('classifyStderr', () => {
  it('splits Warning: lines from other lines and drops blank ones', () => {
    const stderr = `${PSA}\n\nError from server (Forbidden): error when creating "x.yaml": forbidden\n  continued line\n`;
    expect(classifyStderr(stderr)).toEqual({
      warnings: [PSA],
      errors: ['Error from server (Forbidden): error when creating "x.yaml": forbidden', '  continued line'],
    });
  });

  it('does not take a line that merely contains "Warning:" for a warning', () => {
    expect(classifyStderr('error: field "Warning: x" is invalid').warnings).toEqual([]);
  });
});

describe('problemsOf', () => {
  it('fails an apply that exited 0 with only a Pod Security warning', () => {
    expect(problemsOf({ status: 0, stdout: 'deployment.apps/app serverside-applied\n', stderr: `${PSA}\n` })).toEqual([PSA]);
  });

  it('passes a clean apply and names the exit status of a silent failure', () => {
    expect(problemsOf({ status: 0, stdout: 'ok', stderr: '' })).toEqual([]);
    expect(problemsOf({ status: 3, stdout: '', stderr: '' })).toEqual(['kubectl exited 3']);
  });

  it("accepts the API server's advice on Argo CD's own AppProject finalizer, that exact line only", () => {
    const advice = (name: string) =>
      `Warning: metadata.finalizers: "${name}": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`;
    expect(problemsOf({ status: 0, stdout: 'ok', stderr: `${advice('resources-finalizer.argocd.argoproj.io')}\n` })).toEqual([]);
    expect(problemsOf({ status: 0, stdout: 'ok', stderr: `${advice('example.com-cleanup')}\n` })).toEqual([advice('example.com-cleanup')]);
    expect(problemsOf({ status: 0, stdout: 'ok', stderr: `${advice('resources-finalizer.argocd.argoproj.io')}\n${PSA}\n` })).toEqual([PSA]);
  });
});

describe('applyArgs', () => {
  it("applies server-side with Argo CD's field manager, strict validation, as the given user", () => {
    expect(applyArgs(['a.yaml', 'b.yaml'], 'system:serviceaccount:argocd:argocd-application-controller')).toEqual([
      'apply',
      '--server-side',
      '--field-manager=argocd-controller',
      '--validate=strict',
      '--as=system:serviceaccount:argocd:argocd-application-controller',
      '-f',
      'a.yaml',
      '-f',
      'b.yaml',
    ]);
    expect(applyArgs(['a.yaml'], undefined).filter((a) => a.startsWith('--as'))).toEqual([]);
  });
});
