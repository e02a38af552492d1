/**
 * The same input gives the same bytes under every locale. Node's ICU takes its default locale
 * from LC_ALL/LANG, so `localeCompare` and `Intl.Collator` order `ch` after `h` in cs_CZ, `aa`
 * after `z` in da_DK and `y` before `j` in lt_LT; everything synth sorts must use code units.
 * Synth runs as a real process under each locale over an environment whose app has many ports
 * and environment variables (and groups) named to sort differently in each.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import devInput from '../../environments/dev';
import { readTree } from '../../lib/output';
import { clone, REPO, tempDir } from '../support';

const LOCALES = ['C', 'en_US.UTF-8', 'da_DK.UTF-8', 'cs_CZ.UTF-8', 'lt_LT.UTF-8'];

/** Names whose order differs between code units and at least one of the locales above. */
const PORTS = ['h', 'ch', 'b', 'a', 'aa', 'z', 'y', 'j', 'i'];
const VARIABLES = ['b', 'B', 'a', 'ch', 'h', 'CH', 'Z', 'aa', 'y', 'j', '_x'];
const GROUPS = ['Ch', 'H', 'a', 'B', 'Aa', 'Y', 'J'];

const codeUnitOrder = (names: readonly string[]) => [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

function environmentDir(): string {
  const e = clone(devInput) as any;
  e.name = 'locale';
  e.apps.multi = {
    namespace: 'whoami',
    image: 'traefik/whoami:v1.10.3',
    ports: Object.fromEntries(PORTS.map((name, i) => [name, { containerPort: 8100 + i }])),
    env: Object.fromEntries(VARIABLES.map((name, i) => [name, `value-${i}`])),
  };
  e.flows.push({ from: 'twingate/connector', to: 'whoami/multi', port: 'ch' }, { from: 'twingate/connector', to: 'whoami/multi', port: 'y' });
  e.groups = GROUPS;
  delete e.breakGlassGroup;
  e.infra.bootstrap.twingateGroup = GROUPS[0];
  e.access = GROUPS.map((group, i) => ({ group, resources: i % 2 ? ['multi'] : ['whoami', 'multi'], ...(i % 3 ? {} : { kubernetesRole: 'view' }) }));
  const dir = tempDir('zt-envs-');
  writeFileSync(join(dir, 'locale.ts'), `export default ${JSON.stringify(e)};\n`);
  return dir;
}

const localeEnv = (locale: string) => ({ ...process.env, LC_ALL: locale, LANG: locale, LANGUAGE: '' });

/** Every TypeScript source file under the directories synth and infra run from. */
function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir)).flatMap((f) => {
    const rel = join(dir, f);
    if (statSync(join(REPO, rel)).isDirectory()) return f === 'node_modules' ? [] : sources(rel);
    return f.endsWith('.ts') ? [rel] : [];
  });
}

describe('synth under every locale', () => {
  it('no source sorts or formats by locale (localeCompare, Intl, toLocale*), comments aside', () => {
    const found = ['lib', 'platform', 'apps', 'analysis', 'argocd', 'environments', 'infra/src', 'bench'].flatMap(sources).flatMap((file) =>
      readFileSync(join(REPO, file), 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${file}:${i + 1}`, code: line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '') }))
        .filter(({ code }) => /\blocaleCompare\b|\bIntl\.|\.toLocale\w*\(/.test(code))
        .map(({ where }) => where),
    );
    expect(found).toEqual([]);
  });

  it('the locales really change what localeCompare does in a child process (so the comparison below can fail)', () => {
    const orders = LOCALES.map((locale) => {
      const run = spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(${JSON.stringify(PORTS)}.sort((a, b) => a.localeCompare(b))))`], {
        env: localeEnv(locale),
        encoding: 'utf8',
      });
      return run.stdout;
    });
    const byLocale = Object.fromEntries(LOCALES.map((l, i) => [l, JSON.parse(orders[i]!) as string[]]));
    expect(new Set(orders).size).toBeGreaterThanOrEqual(4);
    const at = (l: string, name: string) => byLocale[l]!.indexOf(name);
    expect(at('cs_CZ.UTF-8', 'ch')).toBeGreaterThan(at('cs_CZ.UTF-8', 'h'));
    expect(at('da_DK.UTF-8', 'aa')).toBeGreaterThan(at('da_DK.UTF-8', 'z'));
    expect(at('lt_LT.UTF-8', 'y')).toBeLessThan(at('lt_LT.UTF-8', 'j'));
  });

  it('renders identical bytes, in code-unit order, under C, en_US, da_DK, cs_CZ and lt_LT', () => {
    const envDir = environmentDir();
    const trees = LOCALES.map((locale) => {
      const out = join(tempDir('zt-out-'), 'dist');
      const run = spawnSync(join(REPO, 'node_modules/.bin/tsx'), ['lib/cli/synth.ts', '--environments', envDir, '--out', out], {
        cwd: REPO,
        env: localeEnv(locale),
        encoding: 'utf8',
      });
      expect(run.stderr, locale).toBe('');
      expect(run.status, locale).toBe(0);
      return readTree(out);
    });
    for (const [i, tree] of trees.entries()) expect(tree, LOCALES[i]).toEqual(trees[0]);

    // Not only the same under each locale: the order no locale gives.
    const deployment = parse(trees[0]!.get('locale/multi/deployment.whoami.multi.yaml')!);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env.map((v: { name: string }) => v.name)).toEqual(codeUnitOrder(VARIABLES));
    expect(container.ports.map((p: { name: string }) => p.name)).toEqual(codeUnitOrder(PORTS));
    expect(container.readinessProbe.tcpSocket.port).toBe(codeUnitOrder(PORTS)[0]);
    const service = parse(trees[0]!.get('locale/multi/service.whoami.multi.yaml')!);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toEqual(codeUnitOrder(PORTS));
    const access = trees[0]!.get('locale/ACCESS.md')!;
    const rows = access.split('\n').filter((l) => GROUPS.some((g) => l.startsWith(`| ${g} |`)));
    expect(rows.map((l) => l.split(' | ')[0]!.slice(2))).toEqual(codeUnitOrder(GROUPS));
  }, 180_000);
});
