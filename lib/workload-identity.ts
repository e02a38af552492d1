/**
 * Workload identity as the rest of the platform reads it: which ServiceAccounts get a SPIFFE ID
 * (`spiffe://<trust-domain>/ns/<namespace>/sa/<serviceAccount>`) and which mTLS calls are
 * allowed between them. The `spire` component owns the settings block that declares it
 * (platform/spire/settings.ts); apps (their SPIFFE socket and peer lists) and ACCESS.md read this
 * resolved view, so they depend on the core, not on the component.
 */
import type { Environment, Flow, Problem } from './environment';

/** The top-level field of environment files that declares workload identities. */
export const WORKLOAD_IDENTITY_KEY = 'spire';

/**
 * A SPIFFE trust domain as the SPIFFE ID standard allows it: lowercase letters, digits, `.`,
 * `-` and `_`, here further held to dot-separated non-empty labels (no scheme, port or path).
 */
export const TRUST_DOMAIN = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/** A SPIFFE ID of a Kubernetes ServiceAccount, as the ClusterSPIFFEIDs issue them. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** One ServiceAccount with a SPIFFE identity. */
export interface WorkloadIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The app whose pods run as this ServiceAccount (its `app.kubernetes.io/name` label). */
  readonly app: string;
  readonly spiffeId: string;
}

/** An mTLS call: the client presents its SVID, the server accepts exactly the listed client IDs. */
export interface MtlsFlow {
  readonly client: WorkloadIdentity;
  readonly server: WorkloadIdentity;
  /** The server's named port. */
  readonly port: string;
  readonly containerPort: number;
  readonly description?: string;
}

export interface WorkloadIdentityView {
  readonly trustDomain: string;
  readonly identities: readonly WorkloadIdentity[];
  readonly mtls: readonly MtlsFlow[];
}

/** The environment's workload identities, or undefined when it declares none (no `spire` block). */
export function workloadIdentityOf(env: Pick<Environment, 'settings'>): WorkloadIdentityView | undefined {
  return env.settings[WORKLOAD_IDENTITY_KEY] as WorkloadIdentityView | undefined;
}

/** The identity of an app's ServiceAccount, if it has one. */
export function identityOfApp(env: Pick<Environment, 'settings'>, app: string): WorkloadIdentity | undefined {
  return workloadIdentityOf(env)?.identities.find((i) => i.app === app);
}

/**
 * The identity layer and the network layer agree: every mTLS call has a network flow that lets
 * it through, and every flow into a server's mTLS port comes from one of that server's declared
 * mTLS clients (any other caller would be let through by the network and refused by the server).
 */
export function* checkMtlsFlows(env: Pick<Environment, 'settings' | 'apps'>, flows: readonly Flow[]): Generator<Problem> {
  const view = workloadIdentityOf(env);
  if (!view) return;
  const ref = (i: WorkloadIdentity) => `${i.namespace}/${i.app}`;
  const samePort = (f: Flow, m: MtlsFlow) => f.port === m.port || f.port === m.containerPort;
  for (const [i, m] of view.mtls.entries()) {
    if (!flows.some((f) => f.from === ref(m.client) && f.to === ref(m.server) && samePort(f, m))) {
      yield {
        path: `spire.mtls[${i}] (${ref(m.client)} -> ${ref(m.server)} : ${m.port})`,
        message: `no flow lets this mTLS call through; add { from: "${ref(m.client)}", to: "${ref(m.server)}", port: "${m.port}" } to flows`,
      };
    }
  }
  for (const [i, f] of flows.entries()) {
    const into = view.mtls.filter((m) => f.to === ref(m.server) && samePort(f, m));
    if (into.length === 0 || into.some((m) => f.from === ref(m.client))) continue;
    const m = into[0]!;
    yield {
      path: `flows[${i}]`,
      message: `reaches the mTLS port ${JSON.stringify(m.port)} of ${ref(m.server)}, which accepts only ${into.map((x) => x.client.spiffeId).join(', ')} (spire.mtls); declare this caller's mTLS flow or remove the flow`,
    };
  }
}
