/**
 * The Twingate pods in the default-deny `twingate` namespace: the labels their charts (or the
 * operator) really set match what network policies select, in both connector modes, and the
 * flows they need render as allows.
 */
import { describe, expect, it } from 'vitest';
import { controlPlaneCidrs, kubernetesServiceIp } from '../../../lib/cluster';
import { NAME_LABEL } from '../../../lib/environment';
import { helmSource } from '../../../lib/synth';
import { networkPolicies } from '../../../platform/network-policy';
import { CONNECTOR_LABELS, CONNECTOR_RELEASE, GATEWAY_LABELS, OPERATOR_LABELS } from '../../../platform/twingate/settings';
import { connectorValues, twingateConnector } from '../../../platform/twingate-connector';
import { operatorValues, twingateOperator } from '../../../platform/twingate-operator';
import { ofKind, renderAll, twingateEnvironments } from '../../support/twingate';

const matches = (selector: Record<string, string>, podLabels: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);

describe('Twingate pods and network policies', () => {
  it('platform workloads: connector, operator and gateway, with the labels the charts set', async () => {
    for (const env of await twingateEnvironments()) {
      const byName = Object.fromEntries(env.workloads.filter((w) => w.namespace === 'twingate').map((w) => [w.name, w]));
      expect(Object.keys(byName).sort()).toEqual(['connector', 'gateway', 'operator']);
      expect(byName.connector!.labels).toEqual(CONNECTOR_LABELS);
      // The operator chart labels pods with its selector labels: name (= nameOverride) and instance (= release).
      const op = helmSource(env, twingateOperator)!;
      expect(byName.operator!.labels).toEqual({ [NAME_LABEL]: operatorValues(env).nameOverride, 'app.kubernetes.io/instance': op.releaseName });
      expect(byName.operator!.labels).toEqual(OPERATOR_LABELS);
      expect(byName.gateway!.labels).toEqual(GATEWAY_LABELS);
      expect(byName.gateway!.ports.https).toEqual({ containerPort: 8443, protocol: 'TCP' });
    }
  });

  it('connector pods carry CONNECTOR_LABELS in both modes', async () => {
    for (const env of await twingateEnvironments()) {
      // Operator mode: the operator builds pod labels as spec.podLabels + connector.twingate.com/name.
      for (const c of ofKind<{ metadata: { name: string }; spec: any }>(renderAll(env), 'TwingateConnector')) {
        const podLabels = { ...c.spec.podLabels, 'connector.twingate.com/name': c.metadata.name };
        expect(matches(CONNECTOR_LABELS, podLabels)).toBe(true);
      }
      // Chart mode: the chart labels pods app.kubernetes.io/name=<nameOverride>, instance=<release>.
      if (env.components.includes('twingate-connector')) {
        const podLabels = { [NAME_LABEL]: connectorValues(env).nameOverride, 'app.kubernetes.io/instance': helmSource(env, twingateConnector)!.releaseName };
        expect(podLabels['app.kubernetes.io/instance']).toBe(CONNECTOR_RELEASE);
        expect(matches(CONNECTOR_LABELS, podLabels)).toBe(true);
      }
    }
  });

  it('renders the allows the access path needs, and only for declared flows', async () => {
    for (const env of await twingateEnvironments()) {
      const policies = networkPolicies(env).filter((p) => p.namespace === 'twingate' && p.flow);
      const egress = (labels: Record<string, string>) => policies.filter((p) => p.egress && matches(p.podSelector.matchLabels ?? {}, labels));
      const cidrs = (labels: Record<string, string>, port: number) =>
        egress(labels)
          .flatMap((p) => p.egress!.filter((r) => r.ports.some((x) => x.port === port)).flatMap((r) => r.to.map((t) => t.ipBlock?.cidr)))
          .filter(Boolean)
          .sort();
      // The API server: the kubernetes Service IP and the control-plane subnets, never the whole VPC (every pod).
      const apiServer = [`${kubernetesServiceIp(env.network.serviceCidr)}/32`, ...controlPlaneCidrs(env), '0.0.0.0/0'].sort();
      expect(apiServer).not.toContain(env.network.vpcCidr);
      expect(cidrs(OPERATOR_LABELS, 443)).toEqual(apiServer);
      expect(cidrs(GATEWAY_LABELS, 443)).toEqual(apiServer);
      // connector -> gateway :8443, allowed on both sides.
      const toGateway = egress(CONNECTOR_LABELS).filter((p) =>
        p.egress!.some((r) => r.to.some((t) => t.podSelector?.matchLabels?.[NAME_LABEL] === GATEWAY_LABELS[NAME_LABEL])),
      );
      expect(toGateway.flatMap((p) => p.egress!.flatMap((r) => r.ports.map((x) => x.port)))).toEqual([8443]);
      const gatewayIngress = policies.filter((p) => p.ingress && matches(p.podSelector.matchLabels ?? {}, GATEWAY_LABELS));
      expect(gatewayIngress.map((p) => p.ingress![0]!.from[0]!.podSelector?.matchLabels)).toEqual([CONNECTOR_LABELS]);
      // Nothing else may reach the operator.
      expect(policies.filter((p) => p.ingress && matches(p.podSelector.matchLabels ?? {}, OPERATOR_LABELS))).toEqual([]);
    }
  });
});
