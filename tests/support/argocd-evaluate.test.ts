/** The generator/template model itself: it must be at least as strict as Argo CD where it matters. */
import { describe, expect, it } from 'vitest';
import { generateApplications, globToRegExp, renderGoTemplate, sanitizeName } from './argocd-evaluate';

describe('Go template subset', () => {
  const params = { a: { b: 'x', n: 0, list: [1], empty: [], none: null }, name: 'c1' };

  it('prints fields, numbers, and JSON with sorted keys', () => {
    expect(renderGoTemplate('{{ .name }}-{{ .a.b }}', params)).toBe('c1-x');
    expect(renderGoTemplate('{{ .a.n }}', params)).toBe('0');
    expect(renderGoTemplate('{{ toJson .a }}', { a: { z: 1, b: [2] } })).toBe('{"b":[2],"z":1}');
  });

  it('fails on a missing key (missingkey=error), even one level down', () => {
    expect(() => renderGoTemplate('{{ .nope }}', params)).toThrow('map has no entry for key "nope"');
    expect(() => renderGoTemplate('{{ .a.nope }}', params)).toThrow('map has no entry for key "nope"');
    expect(() => renderGoTemplate('{{ if .a.nope }}y{{ end }}', params)).toThrow('no entry');
  });

  it('refuses to print null or objects without toJson', () => {
    expect(() => renderGoTemplate('{{ .a.none }}', params)).toThrow('use toJson');
    expect(() => renderGoTemplate('{{ .a }}', params)).toThrow('use toJson');
  });

  it('evaluates if/else with Go truthiness and trims around {{- -}}', () => {
    const t = 'a\n{{- if .a.X }}\nyes\n{{- else }}\nno\n{{- end }}\nz';
    expect(renderGoTemplate(t.replace('X', 'list'), params)).toBe('a\nyes\nz');
    for (const f of ['empty', 'none', 'n']) expect(renderGoTemplate(t.replace('X', f), params)).toBe('a\nno\nz');
    expect(renderGoTemplate('a  {{- .name -}}  b', params)).toBe('ac1b');
  });

  it('rejects syntax outside the subset instead of guessing', () => {
    expect(() => renderGoTemplate('{{ .name | upper }}', params)).toThrow('unsupported');
    expect(() => renderGoTemplate('{{ if .name }}x', params)).toThrow('no {{ end }}');
  });
});

describe('helpers', () => {
  it('git globs: * stays within a segment', () => {
    const re = globToRegExp('dist/dev/*/component.json');
    expect(re.test('dist/dev/whoami/component.json')).toBe(true);
    expect(re.test('dist/dev/a/b/component.json')).toBe(false);
    expect(re.test('dist/devx/a/component.json')).toBe(false);
  });

  it('sanitizes names like Argo CD', () => {
    expect(sanitizeName('My_Cluster.eu')).toBe('my-cluster.eu');
    expect(sanitizeName('-x-')).toBe('x');
  });
});

describe('generators', () => {
  const appset = (generators: unknown[], template = '{{ .path.basename }}') => ({
    metadata: { name: 't', namespace: 'argocd' },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators,
      template: { metadata: { name: template }, spec: { project: 'p', destination: {} } },
    },
  });
  const tree = new Map([
    ['dist/dev/a/x.yaml', ''],
    ['dist/dev/.hidden/x.yaml', ''],
    ['dist/dev/b/x.yaml', ''],
  ]);

  it('git directories: globs, exclusions, hidden directories skipped', () => {
    const apps = generateApplications(
      appset([{ git: { repoURL: 'r', revision: 'main', directories: [{ path: 'dist/dev/*' }, { path: 'dist/dev/b', exclude: true }] } }]),
      [],
      tree,
      () => '',
    );
    expect(apps.map((a) => a.metadata.name)).toEqual(['a']);
  });

  it('matrix children may not collide on parameter names (the pathParamPrefix trap)', () => {
    const git = { git: { repoURL: 'r', revision: 'main', directories: [{ path: 'dist/dev/*' }] } };
    expect(() => generateApplications(appset([{ matrix: { generators: [git, git] } }]), [], tree, () => '')).toThrow('both define path');
  });

  it('requires goTemplate with missingkey=error', () => {
    const a = appset([]);
    a.spec.goTemplateOptions = [];
    expect(() => generateApplications(a, [], tree, () => '')).toThrow('missingkey=error');
  });
});
