/**
 * The twingate-connector component: the plain `connector` Helm chart, for
 * environments whose connectors are not operator-managed. The tokens come from AWS Secrets
 * Manager through an ExternalSecret (`connector.existingSecret`); no token is ever in values.
 */
import { type Component, PINNED_IMAGE_PULL_POLICY } from '../../lib/component';
import { type Environment, NAME_LABEL } from '../../lib/environment';
import { externalSecret } from '../shared/external-secrets';
import { type ResourceRequirements, withEphemeralStorage } from '../twingate/render';
import { CONNECTOR_LABELS, CONNECTOR_RELEASE, resolveTwingate, twingateSettings } from '../twingate/settings';

/** The connector chart is only published as a classic Helm repository. */
const CONNECTOR_CHART_REPO = 'https://twingate.github.io/helm-charts';

/** Keys the chart's Deployment reads from `existingSecret` (envFrom). */
const ACCESS_TOKEN_KEY = 'TWINGATE_ACCESS_TOKEN';
const REFRESH_TOKEN_KEY = 'TWINGATE_REFRESH_TOKEN';

// ---------------------------------------------------------------------------------------------
// Chart values (upstream values.yaml / values.schema.json of connector 0.1.35; only what we set)

interface ConnectorValues {
  /**
   * The chart labels pods `app.kubernetes.io/name: <nameOverride or "connector">`; overriding it
   * gives chart connectors the same {@link CONNECTOR_LABELS} operator connectors get.
   */
  readonly nameOverride: string;
  readonly connector: {
    readonly network: string;
    /** Secret with TWINGATE_ACCESS_TOKEN / TWINGATE_REFRESH_TOKEN; `accessToken`/`refreshToken` (values) are never set. */
    readonly existingSecret: string;
    readonly logLevel: 'error' | 'warning' | 'info' | 'debug';
  };
  readonly podSecurityContext: { readonly runAsNonRoot: true; readonly seccompProfile: { readonly type: 'RuntimeDefault' } };
  readonly resources: ResourceRequirements;
  /** Merged into the chart's container securityContext (which already drops all capabilities and runs as 65532). */
  readonly securityContext: { readonly runAsGroup: number };
  /** A pinned connector release: the chart's default tag `1` floats (and the admission policies deny floating tags). */
  readonly image: { readonly repository: string; readonly tag: string; readonly pullPolicy: 'IfNotPresent' };
}

/**
 * The connector release chart connectors run, pinned (operator connectors follow
 * `CONNECTOR_IMAGE_POLICY`'s semver range, resolved by the operator). Bump it deliberately.
 */
export const CONNECTOR_IMAGE = { repository: 'twingate/connector', tag: '1.90.0' } as const;

export function connectorValues(env: Environment): ConnectorValues {
  const tg = resolveTwingate(env);
  return {
    nameOverride: CONNECTOR_LABELS[NAME_LABEL],
    connector: { network: tg.network, existingSecret: tg.secrets.connectorSecret, logLevel: 'error' },
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    resources: withEphemeralStorage({ requests: { cpu: '50m', memory: '200Mi' }, limits: { cpu: '1', memory: '512Mi' } }),
    // The chart sets runAsUser 65532 but no group: the same unprivileged id as group (merged into the chart's securityContext).
    securityContext: { runAsGroup: 65532 },
    image: { ...CONNECTOR_IMAGE, pullPolicy: 'IfNotPresent' },
  };
}

export const twingateConnector = {
  name: 'twingate-connector',
  settings: twingateSettings,
  // Rendered exactly when the environment asks for chart connectors: one fact, in twingate.connectors.
  enabled: (env) => resolveTwingate(env).connectors.mode === 'chart',
  // Its tokens come through an ExternalSecret, read from the store external-secrets provides.
  requires: ['twingate-operator', 'external-secrets'],
  namespace: (env) => resolveTwingate(env).namespace,
  scoreExceptions: [
    PINNED_IMAGE_PULL_POLICY,
    {
      check: 'pod-probes-identical',
      reason: 'the connector chart runs `connectorctl health` for both and merges values into it; a connector behind no Service has no traffic to shed',
      kinds: ['Deployment'],
    },
  ],
  chart: { repository: CONNECTOR_CHART_REPO, chart: 'connector', version: '0.1.35', releaseName: CONNECTOR_RELEASE, values: connectorValues },
  render(chart, env) {
    const tg = resolveTwingate(env);
    externalSecret(chart, {
      name: tg.secrets.connectorSecret,
      namespace: tg.namespace,
      store: tg.secrets.store,
      data: {
        [ACCESS_TOKEN_KEY]: { path: tg.secrets.connectorTokensPath, property: ACCESS_TOKEN_KEY },
        [REFRESH_TOKEN_KEY]: { path: tg.secrets.connectorTokensPath, property: REFRESH_TOKEN_KEY },
      },
    });
  },
} satisfies Component;
