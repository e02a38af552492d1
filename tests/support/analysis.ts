/** Builders for analyzer tests: plain API objects, analysed to np-guard lines. */
import { analyze } from '../../analysis/analyze';
import { connectionLines, formatText } from '../../analysis/format';
import { buildCluster } from '../../analysis/model';

type Port = { name?: string; containerPort: number; protocol?: string };

export function deploy(namespace: string, name: string, labels: Record<string, string> = { app: name }, ports: Port[] = []) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: 'x:1', ports }] } } },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function policy(ns: string, name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

/** The np-guard text lines for a set of objects. */
export function reach(objects: readonly unknown[]): string[] {
  const text = formatText(connectionLines(analyze(buildCluster(objects.map((object, i) => ({ source: `object ${i}`, object }))))));
  return text ? text.split('\n') : [];
}

/** Only the lines between workloads (no external ranges). */
export function podLines(objects: readonly unknown[]): string[] {
  return reach(objects).filter((l) => !/^\d/.test(l) && !/=> \d/.test(l));
}
