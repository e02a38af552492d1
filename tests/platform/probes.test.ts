/**
 * The network-probes component: opt-in per environment, its probes cover exactly the
 * declarations (every flow and blocked path is probed or skipped with a reason, nothing else is
 * probed), each probe runs from a pod that the NetworkPolicies treat as its source, the intent
 * proof still holds with the probe pods in the cluster, and the generated script reports a
 * table and fails on a mismatch.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionLines } from '../../analysis/format';
import { checkIntent } from '../../analysis/intent';
import devInput from '../../environments/dev';
import type { WorkloadRef } from '../../lib/component';
import { describeFlow, type Environment } from '../../lib/environment';
import { renderEnvironment } from '../../lib/synth';
import { NEVER_READY_GATE, PROBE_SERVICE_ACCOUNT, PROBES_COMPONENT } from '../../platform/probes';
import { jobName, type Probe, probeName, probePlan, targetServiceName } from '../../platform/probes/plan';
import { probeScript } from '../../platform/probes/script';
import { DEFAULT_PROBE_IMAGE } from '../../platform/probes/settings';
import { validate } from '../../platform/registry';
import { clone, environments, objectsOf, tempDir } from '../support';

let envs: Environment[];
const byName = (name: string) => envs.find((e) => e.name === name)!;
const key = (w: WorkloadRef) => `${w.namespace}/${w.name}`;

function mustValidate(patch: (e: any) => void): Environment {
  const input = clone(devInput) as any;
  patch(input);
  const r = validate(input);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.env;
}

function problemOf(patch: (e: any) => void): string {
  const input = clone(devInput) as any;
  patch(input);
  const r = validate(input);
  return 'problem' in r ? `${r.problem.path}: ${r.problem.message}` : 'valid';
}

beforeAll(async () => {
  envs = await environments();
});

describe('network-probes is opt-in', () => {
  it('staging says probes.enabled: true; dev and prod have no probes block and render none', () => {
    expect(byName('staging').components).toContain(PROBES_COMPONENT);
    for (const name of ['dev', 'prod']) {
      expect(byName(name).settings.probes).toBeUndefined();
      expect(byName(name).components).not.toContain(PROBES_COMPONENT);
      expect(renderEnvironment(byName(name)).map((c) => c.component)).not.toContain(PROBES_COMPONENT);
    }
  });

  it('enabled: false renders nothing; enabled must be stated', () => {
    const off = mustValidate((e) => {
      e.probes = { enabled: false };
    });
    expect(off.components).not.toContain(PROBES_COMPONENT);
    expect(problemOf((e) => (e.probes = {}))).toBe('probes.enabled: is required');
  });

  it('is switched on by its settings, never by listing it', () => {
    expect(problemOf((e) => e.components.push(PROBES_COMPONENT))).toMatch(/^components\[6\]: "network-probes" is enabled by the environment's settings/);
  });

  it('checks its settings: pinned image, addresses inside their CIDR, sane timeouts', () => {
    expect(problemOf((e) => (e.probes = { enabled: true, image: 'busybox:latest' }))).toBe(
      'probes.image: "busybox:latest" is not a pinned image reference (a version tag other than latest, or a digest)',
    );
    expect(problemOf((e) => (e.probes = { enabled: true, addresses: { '10.0.0.0/8': '11.0.0.1' } }))).toBe(
      'probes.addresses["10.0.0.0/8"]: "11.0.0.1" is not inside 10.0.0.0/8',
    );
    expect(problemOf((e) => (e.probes = { enabled: true, addresses: { '10.0.0.0/8': 'ten' } }))).toMatch(/"ten" is not an IPv4 address/);
    expect(problemOf((e) => (e.probes = { enabled: true, timeoutSeconds: 0 }))).toMatch(/^probes.timeoutSeconds: /);
    expect(mustValidate((e) => (e.probes = { enabled: true })).settings.probes).toEqual({
      enabled: true,
      image: DEFAULT_PROBE_IMAGE,
      timeoutSeconds: 3,
      addresses: {},
    });
  });
});

/** `[source, expect, address, declared, target]`, the table a reviewer reads. */
const rows = (probes: readonly Probe[]) => probes.map((p) => [key(p.source), p.expect, `${p.host}:${p.port}`, p.declared, p.target]);

/** dev with probes on, as staging has them. */
const devWithProbes = () =>
  mustValidate((e) => {
    e.probes = { enabled: true, addresses: { '0.0.0.0/0': '1.1.1.1' } };
  });

/** The environments the rendered-probe checks run on: those with probes on, plus dev switched on. */
const probed = () => [...envs.filter((e) => e.components.includes(PROBES_COMPONENT)), devWithProbes()];

describe('the probes cover exactly the declarations', () => {
  it('dev: the flows of the platform pods and the blocked paths of whoami; the operator-made connector is skipped', () => {
    const all = probePlan(devWithProbes());
    // The prerequisites' own flows (cert-manager, External Secrets) are checked below.
    // Argo CD's own flows are probed alike (tests/platform/argo-cd.test.ts); this list is about Twingate and whoami.
    const prereq = (declared: string) => declared === 'component cert-manager' || declared === 'component external-secrets';
    const argo = (p: { source?: { namespace: string } }) => p.source?.namespace === 'argocd';
    const plan = { probes: all.probes.filter((p) => !prereq(p.declared) && !argo(p)), skipped: all.skipped.filter((p) => !prereq(p.declared) && !argo(p)) };
    expect(rows(all.probes.filter((p) => prereq(p.declared)))).toEqual([
      ['cert-manager/controller', 'connect', '172.20.0.1:443', 'component cert-manager', '172.20.0.1'],
      ['cert-manager/cainjector', 'connect', '172.20.0.1:443', 'component cert-manager', '172.20.0.1'],
      ['cert-manager/webhook', 'connect', '172.20.0.1:443', 'component cert-manager', '172.20.0.1'],
      ['external-secrets/controller', 'connect', '172.20.0.1:443', 'component external-secrets', '172.20.0.1'],
      ['external-secrets/webhook', 'connect', '172.20.0.1:443', 'component external-secrets', '172.20.0.1'],
      ['external-secrets/cert-controller', 'connect', '172.20.0.1:443', 'component external-secrets', '172.20.0.1'],
      ['external-secrets/controller', 'connect', '169.254.170.23:80', 'component external-secrets', '169.254.170.23'],
    ]);
    // Calls from the control plane (webhooks) cannot be probed from a pod; the subnets hold no known listener.
    expect(all.skipped.filter((p) => prereq(p.declared) && p.source === undefined).map((p) => p.text)).toEqual([
      '10.10.224.0/22 -> cert-manager/webhook : https',
      '10.10.228.0/22 -> cert-manager/webhook : https',
      '10.10.224.0/22 -> external-secrets/webhook : webhook',
      '10.10.228.0/22 -> external-secrets/webhook : webhook',
    ]);
    expect(rows(plan.probes)).toEqual([
      ['twingate/operator', 'connect', '172.20.0.1:443', 'component twingate-operator', '172.20.0.1'],
      ['twingate/operator', 'connect', '1.1.1.1:443', 'component twingate-operator', '1.1.1.1 in 0.0.0.0/0'],
      ['twingate/gateway', 'connect', '172.20.0.1:443', 'component twingate-access-gateway', '172.20.0.1'],
      ['twingate/gateway', 'connect', '1.1.1.1:443', 'component twingate-access-gateway', '1.1.1.1 in 0.0.0.0/0'],
      ['whoami/whoami', 'fail', 'kube-dns.kube-system.svc.cluster.local:9153', 'blocked[0]', 'kube-system/coredns metrics'],
      ['whoami/whoami', 'fail', 'network-probe-to-gateway.twingate.svc.cluster.local:8443', 'blocked[2]', 'twingate/gateway https'],
      ['whoami/whoami', 'fail', 'network-probe-to-gateway.twingate.svc.cluster.local:9090', 'blocked[2]', 'twingate/gateway metrics'],
      ['whoami/whoami', 'fail', '1.1.1.1:443', 'blocked[3]', '1.1.1.1 in 0.0.0.0/0'],
    ]);
    expect(plan.skipped.map((s) => [s.source ? key(s.source) : null, s.declared, s.text, s.reason.split(' (')[0]!.split(':')[0]])).toEqual([
      ['twingate/connector', 'flows[0]', 'twingate/connector -> whoami/whoami : http', 'the source is not rendered by the platform'],
      [
        'twingate/connector',
        'component twingate-operator',
        'twingate/connector -> 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16 : 443',
        'the source is not rendered by the platform',
      ],
      [
        'twingate/connector',
        'component twingate-operator',
        'twingate/connector -> 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16 : 30000-31000',
        'the source is not rendered by the platform',
      ],
      ['twingate/operator', 'component twingate-operator', 'twingate/operator -> 10.10.224.0/22 : 443', 'no address in 10.10.224.0/22 is known to listen'],
      ['twingate/operator', 'component twingate-operator', 'twingate/operator -> 10.10.228.0/22 : 443', 'no address in 10.10.228.0/22 is known to listen'],
      [
        'twingate/connector',
        'component twingate-access-gateway',
        'twingate/connector -> twingate/gateway : https',
        'the source is not rendered by the platform',
      ],
      ['twingate/gateway', 'component twingate-access-gateway', 'twingate/gateway -> 10.10.224.0/22 : 443', 'no address in 10.10.224.0/22 is known to listen'],
      ['twingate/gateway', 'component twingate-access-gateway', 'twingate/gateway -> 10.10.228.0/22 : 443', 'no address in 10.10.228.0/22 is known to listen'],
      ['whoami/whoami', 'blocked[1]', 'whoami/whoami -> twingate/connector', 'twingate/connector declares no TCP port to try'],
    ]);
  });

  it('staging: chart-mode connectors are rendered, so their flows are probed; a port range is skipped', () => {
    const plan = probePlan(byName('staging'));
    const fromConnector = rows(plan.probes.filter((p) => p.source.name === 'connector'));
    expect(fromConnector).toEqual([
      ['twingate/connector', 'connect', 'network-probe-to-whoami.whoami.svc.cluster.local:8080', 'flows[0]', 'whoami/whoami http'],
      ['twingate/connector', 'connect', '1.1.1.1:443', 'component twingate-operator', '1.1.1.1 in 0.0.0.0/0'],
      [
        'twingate/connector',
        'connect',
        'network-probe-to-gateway.twingate.svc.cluster.local:8443',
        'component twingate-access-gateway',
        'twingate/gateway https',
      ],
    ]);
    expect(plan.skipped.filter((s) => s.source?.name === 'connector').map((s) => s.reason)).toEqual([
      'a port range (30000-31000): no single port is known to listen',
    ]);
  });

  it('every environment with probes: each flow and blocked path is probed or skipped, per source; each probe matches its declaration', () => {
    for (const env of probed()) {
      const plan = probePlan(env);
      const entries = [
        ...env.flows.map((f, i) => ({
          declared: f.origin ? `component ${f.origin}` : `flows[${i}]`,
          from: f.from,
          flow: f as (typeof env.flows)[number] | undefined,
        })),
        ...env.blocked.map((b, i) => ({ declared: `blocked[${i}]`, from: b.from, flow: undefined })),
      ];
      const covered = new Set([...plan.probes, ...plan.skipped].map((p) => `${p.declared}|${p.text}`));
      expect(covered.size, env.name).toBe(entries.length);
      for (const p of plan.probes) {
        // The source: a rendered workload in an owned namespace, named by the declaration.
        expect(p.source.modelled, env.name).toBeUndefined();
        expect(env.namespaces).toContain(p.source.namespace);
        const flow = env.flows.find((f, i) => (f.origin ? `component ${f.origin}` : `flows[${i}]`) === p.declared && p.text === describeFlow(f));
        if (p.expect === 'connect') {
          expect(flow, `${env.name} ${p.declared} ${p.text}`).toBeDefined();
          expect(flow!.from).toBe(key(p.source));
          expect(p.port).toBe(flow!.ports.port);
          expect(flow!.ports.protocol).toBe('TCP');
        } else {
          expect(p.declared).toMatch(/^blocked\[\d+\]$/);
          expect(env.blocked[Number(/\d+/.exec(p.declared)![0])]!.from).toBe(key(p.source));
        }
      }
      // Nothing twice: one probe per (declaration, source, address).
      const ids = plan.probes.map((p) => `${p.declared}|${p.text}|${key(p.source)}|${p.host}:${p.port}`);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('a namespace wildcard, a UDP flow and a /32 address are handled as documented', () => {
    const env = mustValidate((e) => {
      e.apps.api = {
        namespace: 'whoami',
        image: 'example.com/api:1.0.0',
        ports: { http: { containerPort: 8081 }, dns: { containerPort: 5353, protocol: 'UDP' } },
      };
      e.flows.push({ from: 'whoami/whoami', to: 'whoami/api', port: 'http' });
      e.flows.push({ from: 'whoami/whoami', to: 'whoami/api', port: 'dns' });
      e.flows.push({ from: 'whoami/api', to: { cidr: '192.0.2.10/32' }, port: 5432 });
      e.blocked.push({ from: 'whoami/*', to: 'twingate/gateway' });
      e.probes = { enabled: true };
    });
    const plan = probePlan(env);
    expect(rows(plan.probes.filter((p) => p.declared === 'flows[1]' || p.declared === 'flows[3]'))).toEqual([
      ['whoami/whoami', 'connect', 'network-probe-to-api.whoami.svc.cluster.local:8081', 'flows[1]', 'whoami/api http'],
      ['whoami/api', 'connect', '192.0.2.10:5432', 'flows[3]', '192.0.2.10'],
    ]);
    expect(plan.skipped.find((s) => s.declared === 'flows[2]')!.reason).toBe('UDP has no handshake: a probe cannot tell delivered from dropped');
    // `whoami/*` stands for every workload the platform runs there.
    const wildcard = plan.probes.filter((p) => p.declared === 'blocked[4]');
    expect(wildcard.map((p) => `${key(p.source)} ${p.port}`)).toEqual(['whoami/api 8443', 'whoami/api 9090', 'whoami/whoami 8443', 'whoami/whoami 9090']);
    // Without probes.addresses, wide CIDRs are skipped, never guessed.
    expect(plan.skipped.find((s) => s.declared === 'blocked[3]')!.reason).toBe(
      'no address in 0.0.0.0/0 is known to listen (give one in probes.addresses["0.0.0.0/0"])',
    );
  });

  it('names stay DNS labels', () => {
    expect(probeName('network-probe-from-', 'a'.repeat(63))).toMatch(/^network-probe-from-a{35}-[0-9a-f]{8}$/);
    expect(probeName('network-probe-from-', 'a'.repeat(63)).length).toBeLessThanOrEqual(63);
  });
});

type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: any };

describe('the rendered probes', () => {
  it('one PostSync Job per source, in its namespace, whose pod carries its labels and runs exactly its probes', () => {
    for (const env of probed()) {
      const plan = probePlan(env);
      const objects = objectsOf(env).filter((o) => o.component === PROBES_COMPONENT) as unknown as Obj[];
      const jobs = objects.filter((o) => o.kind === 'Job');
      expect(jobs.map((j) => `${j.metadata.namespace}/${j.metadata.name}`).sort()).toEqual(plan.sources.map((s) => `${s.namespace}/${jobName(s)}`).sort());
      for (const source of plan.sources) {
        const job = jobs.find((j) => j.metadata.name === jobName(source) && j.metadata.namespace === source.namespace)!;
        expect(job.metadata.annotations!['argocd.argoproj.io/hook']).toBe('PostSync');
        const pod = job.spec.template;
        for (const [k, v] of Object.entries(source.labels)) expect(pod.metadata.labels[k], `${env.name} ${k}`).toBe(v);
        expect(pod.spec.readinessGates).toEqual([{ conditionType: NEVER_READY_GATE }]);
        expect(pod.spec.serviceAccountName).toBe(PROBE_SERVICE_ACCOUNT);
        expect(pod.spec.automountServiceAccountToken).toBe(false);
        expect(pod.spec.containers[0].image).toBe(DEFAULT_PROBE_IMAGE);
        const script: string = pod.spec.containers[0].command[2];
        const lines = script.split('\n').filter((l) => l.startsWith('probe '));
        const expected = plan.probes.filter((p) => p.source === source).map((p) => `probe ${p.expect} ${p.host} ${p.port}`);
        expect(lines.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(expected);
        expect(script.split('\n').filter((l) => l.startsWith('row SKIP')).length).toBe(plan.skipped.filter((s) => s.source === source).length);
      }
      // One headless Service per dialled destination, selecting its pods.
      const services = objects.filter((o) => o.kind === 'Service');
      expect(services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual(plan.targets.map((t) => `${t.namespace}/${targetServiceName(t)}`));
      for (const t of plan.targets) {
        const svc = services.find((s) => s.metadata.name === targetServiceName(t))!;
        expect(svc.spec.clusterIP).toBe('None');
        expect(svc.spec.selector).toEqual(t.labels);
      }
      // The plan, skipped entries included, for reviewers and kubectl.
      const plan_ = objects.find((o) => o.kind === 'ConfigMap')! as unknown as { data: Record<string, string> };
      expect(plan_.data['plan.txt']).toContain(`${plan.probes.length} probes from ${plan.sources.length} source workloads, ${plan.skipped.length} skipped`);
    }
  });

  it('the intent proof holds with the probe pods, each allowed exactly what its source is, both ways', () => {
    for (const env of probed()) {
      const objects = renderEnvironment(env).flatMap((c) => c.objects);
      const lines = connectionLines(checkIntent(env, objects).analysis);
      // Each probe Job stands for the workload named by its probe-source annotation.
      const sourceOf = new Map(
        (objects as unknown as Obj[])
          .filter((o) => o.kind === 'Job' && o.metadata.annotations?.['zt-eks-gitops/probe-source'])
          .map((o) => {
            const ref = env.workloads.find((w) => key(w) === o.metadata.annotations!['zt-eks-gitops/probe-source'])!;
            const rendered = (objects as unknown as Obj[]).find(
              (x) =>
                !(x.kind === 'Job' && x.metadata.annotations?.['zt-eks-gitops/probe-source']) &&
                x.metadata.namespace === ref.namespace &&
                Object.entries(ref.labels).every(([k, v]) => x.spec?.template?.metadata?.labels?.[k] === v),
            )!;
            return [`${o.metadata.namespace}/${o.metadata.name}[Job]`, `${rendered.metadata.namespace}/${rendered.metadata.name}[${rendered.kind}]`];
          }),
      );
      expect(sourceOf.size, env.name).toBe(probePlan(env).sources.length);
      const text = (l: (typeof lines)[number]) => `${l.src} => ${l.dst} : ${JSON.stringify(l.conns)}`;
      const own = lines.filter((l) => !sourceOf.has(l.src) && !sourceOf.has(l.dst)).map(text);
      // Every line of a probe, with probes replaced by their sources, is a line of the sources.
      const mapped = lines
        .filter((l) => sourceOf.has(l.src) || sourceOf.has(l.dst))
        .map((l) => ({ ...l, src: sourceOf.get(l.src) ?? l.src, dst: sourceOf.get(l.dst) ?? l.dst }))
        .filter((l) => l.src !== l.dst)
        .map(text);
      expect(
        mapped.filter((l) => !own.includes(l)),
        env.name,
      ).toEqual([]);
      // And every source's egress is its probe's.
      for (const [probeId, sourceId] of sourceOf) {
        const egress = (id: string) =>
          lines
            .filter((l) => l.src === id)
            .map((l) => `${sourceOf.get(l.dst) ?? l.dst} : ${JSON.stringify(l.conns)}`)
            .sort();
        expect(egress(probeId), probeId).toEqual(egress(sourceId));
        expect(egress(sourceId).length).toBeGreaterThan(0);
      }
    }
  });
});

describe('the probe script', () => {
  let server: Server;
  let open: number;
  let closed: number;

  beforeAll(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open = (server.address() as { port: number }).port;
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    closed = (other.address() as { port: number }).port;
    await new Promise<void>((r) => other.close(() => r()));
  });
  afterAll(() => server.close());

  /** Runs a script with a stand-in for busybox `nc -z -w T host port` (loopback only). */
  function run(probes: Probe[]) {
    const bin = tempDir('zt-nc-');
    const nc = join(bin, 'nc');
    writeFileSync(
      nc,
      `#!${process.execPath}
const [, , , , w, host, port] = process.argv;
if (!/^127\\./.test(host)) { console.error("nc: bad address '" + host + "'"); process.exit(1); }
const s = require('node:net').connect({ host, port: Number(port), timeout: Number(w) * 1000 });
s.on('connect', () => { s.destroy(); process.exit(0); });
s.on('error', (e) => { console.error('nc: ' + e.message); process.exit(1); });
s.on('timeout', () => { console.error('nc: timeout'); process.exit(1); });
`,
    );
    chmodSync(nc, 0o755);
    const source: WorkloadRef = { namespace: 'whoami', name: 'whoami', labels: { 'app.kubernetes.io/name': 'whoami' }, ports: {} };
    const script = probeScript({
      env: 'test',
      source,
      probes: probes.map((p) => ({ ...p, source })),
      skipped: [{ declared: 'blocked[9]', text: 'whoami/whoami -> twingate/connector', source, reason: 'twingate/connector declares no TCP port to try' }],
      timeoutSeconds: 1,
    });
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
    return { status: r.status, out: r.stdout.trimEnd().split('\n'), err: r.stderr };
  }
  const probe = (expect: 'connect' | 'fail', host: string, port: number, declared: string): Probe => ({
    declared,
    text: 'whoami/whoami -> x',
    source: undefined as unknown as WorkloadRef,
    expect,
    host,
    port,
    target: 'x',
  });

  it('prints a table and exits 0 when every result is the declared one', () => {
    const r = run([probe('connect', '127.0.0.1', open, 'flows[0]'), probe('fail', '127.0.0.1', closed, 'blocked[0]')]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const width = `127.0.0.1:${open}`.length > 'ADDRESS'.length ? `127.0.0.1:${open}`.length : 7;
    const pad = (s: string) => s.padEnd(width);
    expect(r.out).toEqual([
      'network-probes test: as whoami/whoami (pod labels app.kubernetes.io/name=whoami), timeout 1s',
      `RESULT EXPECT  GOT        ${pad('ADDRESS')} DECLARED [TARGET]`,
      `PASS   connect connect    ${pad(`127.0.0.1:${open}`)} flows[0]: whoami/whoami -> x [x]`,
      `PASS   fail    fail       ${pad(`127.0.0.1:${closed}`)} blocked[0]: whoami/whoami -> x [x]`,
      `SKIP   -       -          ${pad('-')} blocked[9]: whoami/whoami -> twingate/connector [skipped: twingate/connector declares no TCP port to try]`,
      'network-probes test whoami/whoami: 2 passed, 0 failed, 1 skipped',
    ]);
  });

  it('fails the Job when a flow is blocked, a blocked path is open, or a name does not resolve', () => {
    const r = run([
      probe('connect', '127.0.0.1', closed, 'flows[0]'),
      probe('fail', '127.0.0.1', open, 'blocked[0]'),
      probe('fail', 'nowhere.invalid', 80, 'blocked[1]'),
    ]);
    expect(r.status).toBe(1);
    expect(r.out.slice(2, 7).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'FAIL connect fail',
      ' nc: connect',
      'FAIL fail connect',
      'FAIL fail no-address',
      ' nc: bad',
    ]);
    expect(r.out[3]).toBe(`       nc: connect ECONNREFUSED 127.0.0.1:${closed}`);
    expect(r.out.at(-1)).toBe('network-probes test whoami/whoami: 0 passed, 3 failed, 1 skipped');
  });
});
