/**
 * The access gateway: certificate SANs cover every address and alias of every resource bound
 * to the gateway, the CA/Gateway/resource chain resolves, the gateway's ServiceAccount can only
 * impersonate, and the chart values (as data) point at what this component renders.
 */

import { describe, expect, it } from 'vitest';
import type { Environment } from '../../lib/environment';
import type { ApiObject } from '../../lib/output';
import { helmSource } from '../../lib/synth';
import { GATEWAY_LABELS, resolveTwingate } from '../../platform/twingate/settings';
import { gatewayValues, twingateAccessGateway } from '../../platform/twingate-access-gateway';
import { baseInput, generateInput, mustValidate, ofKind, renderAll, twingateEnvironments } from '../support/twingate';

type Obj = ApiObject & { spec: any };

function checkSans(env: Environment): void {
  const objects = renderAll(env) as Obj[];
  // The gateway's own Certificate (cert-manager renders its CA's too).
  const [cert] = ofKind<Obj & { component: string }>(objects, 'Certificate').filter((c) => c.component === 'twingate-access-gateway');
  expect(cert).toBeDefined();
  const sans = new Set<string>([...(cert!.spec.dnsNames ?? []), ...(cert!.spec.ipAddresses ?? [])]);
  const [gateway] = ofKind<Obj>(objects, 'TwingateGateway');
  const bound = ofKind<Obj>(objects, 'TwingateResource').filter((r) => r.spec.gatewayRef?.name === gateway!.metadata.name);
  expect(bound.length).toBeGreaterThan(0);
  for (const r of bound) {
    expect(sans.has(r.spec.address), `${env.name}: SAN for address ${r.spec.address}`).toBe(true);
    expect(sans.has(r.spec.alias), `${env.name}: SAN for alias ${r.spec.alias}`).toBe(true);
  }
  // The CA resource reads ca.crt from the Secret the Certificate writes and the gateway serves.
  const [ca] = ofKind<Obj>(objects, 'TwingateCertificateAuthority');
  expect(ca!.spec.secretRef.name).toBe(cert!.spec.secretName);
  expect(gateway!.spec.x509CertificateAuthorityRef.name).toBe(ca!.metadata.name);
  expect(gatewayValues(env).tls.existingSecret).toBe(cert!.spec.secretName);
  expect(gatewayValues(env).twingateOperator.gateway.certificateAuthority.name).toBe(ca!.spec.name);
  expect(gateway!.spec.serviceRef).toEqual({ name: 'twingate-gateway', namespace: resolveTwingate(env).namespace, port: gatewayValues(env).service.port });
  expect(cert!.spec.issuerRef).toEqual({ ...resolveTwingate(env).certificate.issuer });
}

describe('access gateway', () => {
  it('certificate SANs cover every address and alias (real and generated environments)', async () => {
    for (const env of await twingateEnvironments()) checkSans(env);
    for (let seed = 100; seed < 120; seed++) checkSans(mustValidate(generateInput(seed)));
  });

  it('follows a custom alias and issuer', () => {
    const env = mustValidate(
      baseInput({ twingate: { network: 'acme', gateway: { alias: 'eks-a.corp.int' }, certificate: { issuer: { name: 'private-ca', kind: 'Issuer' } } } }),
    );
    checkSans(env);
    const cert = ofKind<Obj & { component: string }>(renderAll(env), 'Certificate').find((c) => c.component === 'twingate-access-gateway')!;
    expect(cert.spec.dnsNames).toContain('eks-a.corp.int');
    expect(cert.spec.issuerRef.kind).toBe('Issuer');
  });

  it('the Kubernetes resource has an alias per cluster and points at the gateway', async () => {
    const envs = await twingateEnvironments();
    const k8sResources = envs.map((env) => ofKind<Obj>(renderAll(env), 'TwingateResource').find((r) => r.spec.type === 'Kubernetes')!);
    expect(new Set(k8sResources.map((r) => r.spec.address)).size).toBe(1); // shared in-cluster address...
    expect(new Set(k8sResources.map((r) => r.spec.alias)).size).toBe(envs.length); // ...told apart by alias
    for (const r of k8sResources) expect(r.spec.gatewayRef.name).toBe('twingate-gateway');
  });

  /** The rendered impersonation rules of the gateway's only binding, checked against the access table. */
  function checkImpersonation(env: Environment): void {
    const objects = renderAll(env) as Obj[];
    const sa = ofKind<Obj>(objects, 'ServiceAccount').find((s) => s.metadata.name === gatewayValues(env).serviceAccount.name);
    expect(sa?.metadata.namespace).toBe(resolveTwingate(env).namespace);
    const bindings = [...ofKind<Obj>(objects, 'ClusterRoleBinding'), ...ofKind<Obj>(objects, 'RoleBinding')].filter((b) =>
      (b.subjects as { kind: string; name: string }[]).some((s) => s.kind === 'ServiceAccount' && s.name === sa!.metadata.name),
    );
    expect(bindings).toHaveLength(1);
    const roles = ofKind<Obj>(objects, 'ClusterRole').filter((r) => r.metadata.name === (bindings[0]!.roleRef as { name: string }).name);
    expect(roles).toHaveLength(1);
    // The gateway forwards Twingate names: `<prefix>: <group>` for groups the platform creates.
    const tg = resolveTwingate(env);
    const withRole = env.access
      .filter((r) => r.kubernetesRole || r.clusterRole)
      .map((r) => (tg.managedGroups.includes(r.group) ? `${tg.managedGroupPrefix}: ${r.group}` : r.group));
    const groups = [...new Set([...withRole, 'twingate:authenticated', 'twingate:service-accounts'])].sort();
    expect(roles[0]!.rules).toEqual([
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
      { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: groups },
    ]);
    const text = JSON.stringify(roles[0]!.rules);
    expect(text).not.toMatch(/system:/);
    expect(text).not.toContain('serviceaccounts');
    expect(text).not.toContain('*');
  }

  it("the gateway's ServiceAccount impersonates any user but only the groups with a role (real and generated environments)", async () => {
    for (const env of await twingateEnvironments()) checkImpersonation(env);
    for (let seed = 200; seed < 215; seed++) checkImpersonation(mustValidate(generateInput(seed)));
  });

  it('system:masters can never be impersonated: the schema refuses system: group names', () => {
    const input = baseInput({ groups: ['system:masters'], access: [{ group: 'system:masters', resources: ['whoami'], kubernetesRole: 'view' }] });
    expect(() => mustValidate(input)).toThrow(/groups\[0\]: "system:masters" is a Kubernetes system group name/);
  });

  it('the patch fails loudly when the chart stops rendering its ClusterRole', () => {
    const env = mustValidate(baseInput());
    expect(() => twingateAccessGateway.chartPatches([], env)).toThrow(/rendered 0 ClusterRoles twingate-gateway-cluster-role/);
  });

  it('chart values: no Helm lookup path, no secret value, pods labelled as the network policies expect', async () => {
    for (const env of await twingateEnvironments()) {
      const helm = helmSource(env, twingateAccessGateway)!;
      expect(helm).toMatchObject({ repository: 'oci://ghcr.io/twingate/helmcharts', chart: 'gateway', version: env.charts.gateway });
      const v = gatewayValues(env);
      expect(v.twingateOperator.gateway.certificateAuthority.name).not.toBe('');
      expect(v.tls.autoGenerated.enabled).toBe(false);
      expect(JSON.stringify(v)).not.toMatch(/"(cert|key|ca|bearerToken|privateKey|token)":/);
      // The chart labels pods app.kubernetes.io/name=<nameOverride>, instance=<release>.
      expect({ 'app.kubernetes.io/name': v.nameOverride, 'app.kubernetes.io/instance': helm.releaseName }).toEqual(GATEWAY_LABELS);
      expect(v.containerPorts.https).toBe(8443);
    }
  });
});
