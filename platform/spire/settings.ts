/**
 * The `spire` block of an environment file: the environment's SPIFFE trust domain, the
 * ServiceAccounts that get a SPIFFE ID, and the mTLS calls between them. The `spire` and
 * `spire-crds` components share it; apps and ACCESS.md read its resolved form through
 * lib/workload-identity.ts.
 */
import { z } from 'zod';
import { type SettingsBlock, settingsOf } from '../../lib/component';
import { type Environment, oneLine } from '../../lib/environment';
import { type MtlsFlow, spiffeId, TRUST_DOMAIN, WORKLOAD_IDENTITY_KEY, type WorkloadIdentity, type WorkloadIdentityView } from '../../lib/workload-identity';

const show = (v: unknown) => JSON.stringify(v);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_ACCOUNT_REF = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const namespace = z.string().refine((s) => s.length <= 63 && DNS_LABEL.test(s), { error: (i) => `${show(i.input)} is not a DNS-1123 label` });

/** `<namespace>/<serviceAccount>`. */
const serviceAccountRef = z.string().refine((s) => SERVICE_ACCOUNT_REF.test(s), {
  error: (i) => `${show(i.input)} is not a ServiceAccount reference ("<namespace>/<serviceAccount>")`,
});

const schema = z.strictObject({
  /**
   * The SPIFFE trust domain, one per environment (e.g. `dev.example.internal`): every SPIFFE ID
   * is `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. No scheme, port or path.
   */
  trustDomain: z.string().refine((s) => s.length <= 255 && TRUST_DOMAIN.test(s), {
    error: (i) => `${show(i.input)} is not a SPIFFE trust domain (lowercase letters, digits, ".", "-" and "_"; no scheme, port, path or empty label)`,
  }),
  /** Where the SPIRE server and controller manager run: a namespace the platform owns (restricted). @default "spire-server" */
  serverNamespace: namespace.default('spire-server'),
  /**
   * Where the SPIRE agent and the SPIFFE CSI driver run. Never one of `namespaces`: the agent
   * needs the host's PID namespace and socket directory, which Pod Security `restricted`
   * refuses, so the spire component renders this namespace itself at `privileged` (the
   * documented exception, docs/workload-identity.md). @default "spire-system"
   */
  agentNamespace: namespace.default('spire-system'),
  /** The server CA's subject (the chart requires a country and an organization). @default { country: "US", organization: "zt-eks-gitops" } */
  caSubject: z
    .strictObject({
      country: z.string().regex(/^[A-Z]{2}$/, { error: (i) => `${show(i.input)} is not a two-letter country code` }),
      organization: oneLine,
    })
    .default({ country: 'US', organization: 'zt-eks-gitops' }),
  /** ServiceAccounts (`<namespace>/<name>`, an app's ServiceAccount) that get a SPIFFE ID: one ClusterSPIFFEID each. @default [] */
  identities: z.array(serviceAccountRef).default([]),
  /**
   * mTLS calls: `client` presents its SVID to `server` on the server's named `port`, and the
   * server accepts exactly its declared clients. Each needs the network flow too. @default []
   */
  mtls: z
    .array(
      z.strictObject({
        client: serviceAccountRef,
        server: serviceAccountRef,
        /** A named port of the server's app. */
        port: z.string(),
        description: oneLine.optional(),
      }),
    )
    .default([]),
});

type Parsed = z.output<typeof schema>;

/** The resolved block: what the component renders and what lib/workload-identity.ts exposes. */
export interface SpireSettings extends WorkloadIdentityView {
  readonly serverNamespace: string;
  readonly agentNamespace: string;
  readonly caSubject: Parsed['caSubject'];
  /** The block as written, for the checks. */
  readonly declared: Parsed;
}

/** The app whose ServiceAccount `<ns>/<sa>` is (apps run as a ServiceAccount named after them). */
function appOf(env: Pick<Environment, 'apps'>, ref: string): string | undefined {
  const [ns, sa] = ref.split('/') as [string, string];
  return env.apps[sa]?.namespace === ns ? sa : undefined;
}

function resolve(parsed: Parsed, env: Environment): SpireSettings {
  const identities: WorkloadIdentity[] = parsed.identities.flatMap((ref) => {
    const app = appOf(env, ref);
    const [namespace, serviceAccount] = ref.split('/') as [string, string];
    return app ? [{ namespace, serviceAccount, app, spiffeId: spiffeId(parsed.trustDomain, namespace, serviceAccount) }] : [];
  });
  const byRef = (ref: string) => identities.find((i) => `${i.namespace}/${i.serviceAccount}` === ref);
  const mtls: MtlsFlow[] = parsed.mtls.flatMap((m) => {
    const client = byRef(m.client);
    const server = byRef(m.server);
    const port = server && env.apps[server.app]!.ports[m.port];
    return client && server && port
      ? [{ client, server, port: m.port, containerPort: port.containerPort, ...(m.description ? { description: m.description } : {}) }]
      : [];
  });
  return {
    trustDomain: parsed.trustDomain,
    identities,
    mtls,
    serverNamespace: parsed.serverNamespace,
    agentNamespace: parsed.agentNamespace,
    caSubject: parsed.caSubject,
    declared: parsed,
  };
}

export const spireSettings: SettingsBlock<typeof schema, SpireSettings, typeof WORKLOAD_IDENTITY_KEY> = {
  key: WORKLOAD_IDENTITY_KEY,
  schema,
  resolve,
  *check(env) {
    const s = settingsOf(env, spireSettings);
    const d = s.declared;
    if (!env.namespaces.includes(d.serverNamespace)) {
      yield {
        path: 'spire.serverNamespace',
        message: `${show(d.serverNamespace)} is not declared in namespaces (the SPIRE server runs restricted, behind default deny, in a namespace the platform owns)`,
      };
    }
    const agentIndex = env.namespaces.indexOf(d.agentNamespace);
    if (agentIndex >= 0) {
      yield {
        path: `namespaces[${agentIndex}]`,
        message: `${show(d.agentNamespace)} is the SPIRE agent's namespace (spire.agentNamespace), which cannot be restricted: the agent needs the host's PID namespace and socket directory. Remove it from namespaces; the spire component renders it at Pod Security "privileged" (docs/workload-identity.md)`,
      };
    }
    if (d.agentNamespace === d.serverNamespace) {
      yield {
        path: 'spire.agentNamespace',
        message: `${show(d.agentNamespace)} is also the server's namespace; the agent's host access must not extend to the server`,
      };
    }
    const known = Object.entries(env.apps)
      .map(([name, a]) => `${a.namespace}/${name}`)
      .sort();
    const seen = new Set<string>();
    for (const [i, ref] of d.identities.entries()) {
      if (!appOf(env, ref)) {
        yield {
          path: `spire.identities[${i}]`,
          message: `${show(ref)} is not the ServiceAccount of an app of this environment${known.length ? ` (known: ${known.map(show).join(', ')})` : ''}`,
        };
      }
      if (seen.has(ref)) yield { path: `spire.identities[${i}]`, message: `${show(ref)} is declared twice` };
      seen.add(ref);
    }
    for (const ref of d.identities) {
      const app = appOf(env, ref);
      const clash = app && Object.keys(env.apps[app]!.env).find((v) => v.startsWith('SPIFFE_'));
      if (clash) {
        yield { path: `apps.${app}.env.${clash}`, message: 'SPIFFE_* variables of an app with a SPIFFE identity are set by the platform (spire); rename it' };
      }
    }
    const pairs = new Set<string>();
    for (const [i, m] of d.mtls.entries()) {
      for (const side of ['client', 'server'] as const) {
        if (!d.identities.includes(m[side])) {
          yield { path: `spire.mtls[${i}].${side}`, message: `${show(m[side])} has no SPIFFE identity; add it to spire.identities` };
        }
      }
      if (m.client === m.server) yield { path: `spire.mtls[${i}]`, message: 'a workload does not call itself over mTLS' };
      const server = appOf(env, m.server);
      if (server && !env.apps[server]!.ports[m.port]) {
        const names = Object.keys(env.apps[server]!.ports).map(show).join(', ');
        yield { path: `spire.mtls[${i}].port`, message: `${show(m.server)} has no port named ${show(m.port)} (it has ${names})` };
      }
      const key = `${m.client}|${m.server}|${m.port}`;
      if (pairs.has(key)) yield { path: `spire.mtls[${i}]`, message: 'duplicates an earlier mTLS flow' };
      pairs.add(key);
    }
  },
};
