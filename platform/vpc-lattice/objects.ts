/**
 * One cluster's share of the VPC Lattice service network, from its view ({@link LatticeView}):
 *
 * - GatewayClass `amazon-vpc-lattice` (the AWS controller's) and one Gateway named after the
 *   service network (the controller maps a Gateway to the service network of the same name),
 *   with one HTTPS listener terminating TLS with the ACM certificate of `*.<domain>`, open to
 *   routes of exactly the namespaces this cluster's routes live in;
 * - per route, an HTTPRoute (the Lattice service `<name>.<domain>`) to a local Service or a
 *   ServiceImport, and an IAMAuthPolicy allowing exactly its callers ({@link authPolicy});
 * - per export, a ServiceExport (the Service becomes a target group other clusters' routes can
 *   use) and a TargetGroupPolicy (HTTP/1 to the pods, an HTTP health check);
 * - per import, a ServiceImport of a Service another cluster exports.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { GatewayClass } from '../../imports/gatewayapi-gatewayclasses-gateway.networking.k8s.io';
import {
  Gateway,
  GatewaySpecListenersAllowedRoutesNamespacesFrom,
  GatewaySpecListenersTlsMode,
} from '../../imports/gatewayapi-gateways-gateway.networking.k8s.io';
import { HttpRoute, HttpRouteSpecRulesMatchesPathType } from '../../imports/gatewayapi-httproutes-gateway.networking.k8s.io';
import { IamAuthPolicy } from '../../imports/lattice-iamauthpolicies-application-networking.k8s.aws';
import { ServiceExport, ServiceExportSpecExportedPortsRouteType } from '../../imports/lattice-serviceexports-application-networking.k8s.aws';
import { ServiceImport, ServiceImportSpecType } from '../../imports/lattice-serviceimports-application-networking.k8s.aws';
import {
  TargetGroupPolicy,
  TargetGroupPolicySpecHealthCheckProtocol,
  TargetGroupPolicySpecHealthCheckProtocolVersion,
} from '../../imports/lattice-targetgrouppolicies-application-networking.k8s.aws';
import { crMetadata } from '../shared/sync-waves';
import { authPolicy } from './auth-policy';
import type { LatticeView } from './settings';

/** The AWS controller's GatewayClass, as its documentation names it. */
export const GATEWAY_CLASS = 'amazon-vpc-lattice';
export const CONTROLLER_NAME = 'application-networking.k8s.aws/gateway-api-controller';
/** The Gateway listener's TLS option carrying the ACM certificate (Secrets in `certificateRefs` are not supported by VPC Lattice). */
export const CERTIFICATE_ARN_OPTION = 'application-networking.k8s.aws/certificate-arn';
/** The only listener: every route is HTTPS on 443 with the private domain's certificate. */
export const LISTENER = 'https';
/** A ServiceExport is federated into VPC Lattice only with this annotation. */
export const FEDERATION_ANNOTATION = { 'application-networking.k8s.aws/federation': 'amazon-vpc-lattice' } as const;
export const LATTICE_GROUP = 'application-networking.k8s.aws';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * How VPC Lattice checks exported targets: HTTP/1 `GET /` on the traffic port, healthy on any
 * 2xx/3xx. Declared rather than left to the controller's defaults, so a change is a reviewed diff.
 */
export const HEALTH_CHECK = {
  enabled: true,
  protocol: TargetGroupPolicySpecHealthCheckProtocol.HTTP,
  protocolVersion: TargetGroupPolicySpecHealthCheckProtocolVersion.HTTP1,
  path: '/',
  statusMatch: '200-399',
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
} as const;

/**
 * Waves inside the component's Application: the chart and the CRDs first (wave 0), then the
 * GatewayClass and Gateway, then what attaches to them (routes, exports, imports), then the
 * policies that target those.
 */
const WAVE = { gateway: 1, routes: 2, policies: 3 } as const;

interface Options {
  /** Where the Gateway lives (the controller's namespace). */
  readonly gatewayNamespace: string;
  readonly labels: Record<string, string>;
}

const byName =
  <T extends { namespace: string }>(key: (x: T) => string) =>
  (a: T, b: T) =>
    a.namespace !== b.namespace ? (a.namespace < b.namespace ? -1 : 1) : key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

export function latticeObjects(scope: Construct, view: LatticeView, opts: Options): void {
  const { labels } = opts;

  new GatewayClass(scope, 'gateway-class', {
    metadata: crMetadata(GATEWAY_CLASS, undefined, WAVE.gateway, labels),
    spec: { controllerName: CONTROLLER_NAME, description: 'Amazon VPC Lattice (AWS Gateway API controller)' },
  });

  const routeNamespaces = [...new Set(view.routes.map((r) => r.namespace))].sort();
  new Gateway(scope, 'gateway', {
    metadata: crMetadata(view.serviceNetwork, opts.gatewayNamespace, WAVE.gateway, labels),
    spec: {
      gatewayClassName: GATEWAY_CLASS,
      listeners: [
        {
          name: LISTENER,
          protocol: 'HTTPS',
          port: 443,
          tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, options: { [CERTIFICATE_ARN_OPTION]: view.certificateArn } },
          allowedRoutes: {
            kinds: [{ group: GATEWAY_GROUP, kind: 'HTTPRoute' }],
            // No route namespace: a selector no namespace matches (an empty `values` is invalid).
            namespaces: {
              from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SELECTOR,
              selector: routeNamespaces.length
                ? { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: routeNamespaces }] }
                : { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'DoesNotExist' }] },
            },
          },
        },
      ],
    },
  });

  for (const route of [...view.routes].sort(byName((r) => r.name))) {
    const b = route.backend;
    const group = b.kind === 'Service' ? '' : LATTICE_GROUP;
    // A backend in another namespace needs the backend namespace's consent (Gateway API).
    const crossNamespace = b.namespace !== route.namespace;
    new HttpRoute(scope, `route-${route.namespace}-${route.name}`, {
      metadata: crMetadata(route.name, route.namespace, WAVE.routes, labels),
      spec: {
        parentRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: view.serviceNetwork, namespace: opts.gatewayNamespace, sectionName: LISTENER }],
        hostnames: [route.hostname],
        rules: [
          {
            matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }],
            backendRefs: [{ group, kind: b.kind, name: b.name, ...(crossNamespace ? { namespace: b.namespace } : {}), port: b.port, weight: 1 }],
          },
        ],
      },
    });
    if (crossNamespace) {
      new ApiObject(scope, `reference-grant-${route.namespace}-${route.name}`, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'ReferenceGrant',
        metadata: crMetadata(`${route.namespace}-${route.name}`, b.namespace, WAVE.routes, labels),
        spec: {
          from: [{ group: GATEWAY_GROUP, kind: 'HTTPRoute', namespace: route.namespace }],
          to: [{ group, kind: b.kind, name: b.name }],
        },
      });
    }
    new IamAuthPolicy(scope, `auth-${route.namespace}-${route.name}`, {
      metadata: crMetadata(route.name, route.namespace, WAVE.policies, labels),
      spec: {
        targetRef: { group: GATEWAY_GROUP, kind: 'HTTPRoute', name: route.name, namespace: route.namespace },
        policy: JSON.stringify(authPolicy(view, route)),
      },
    });
  }

  for (const e of [...view.exports].sort(byName((x) => x.app))) {
    const meta = crMetadata(e.app, e.namespace, WAVE.routes, labels);
    new ServiceExport(scope, `export-${e.namespace}-${e.app}`, {
      metadata: { ...meta, annotations: { ...meta.annotations, ...FEDERATION_ANNOTATION } },
      spec: { exportedPorts: [{ port: e.port, routeType: ServiceExportSpecExportedPortsRouteType.HTTP }] },
    });
    new TargetGroupPolicy(scope, `target-group-${e.namespace}-${e.app}`, {
      metadata: crMetadata(e.app, e.namespace, WAVE.policies, labels),
      spec: {
        targetRef: { group: '', kind: 'Service', name: e.app, namespace: e.namespace },
        protocol: 'HTTP',
        protocolVersion: 'HTTP1',
        healthCheck: { ...HEALTH_CHECK },
      },
    });
  }

  for (const i of [...view.imports].sort(byName((x) => x.app))) {
    // The ports routes use it on; the exporting cluster's Service decides where they lead.
    const ports = [
      ...new Set(
        view.routes
          .filter((r) => r.backend.kind === 'ServiceImport' && r.backend.namespace === i.namespace && r.backend.name === i.app)
          .map((r) => r.backend.port),
      ),
    ].sort((a, b) => a - b);
    if (ports.length === 0) throw new Error(`internal: vpcLattice import ${i.namespace}/${i.app} is used by no route`);
    new ServiceImport(scope, `import-${i.namespace}-${i.app}`, {
      metadata: crMetadata(i.app, i.namespace, WAVE.routes, labels),
      spec: { type: ServiceImportSpecType.CLUSTER_SET_IP, ports: ports.map((port) => ({ port, protocol: 'TCP' })) },
    });
  }
}
