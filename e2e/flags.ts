/**
 * Command lines of the e2e control plane (etcd, kube-apiserver, kube-controller-manager) and the
 * check that every address in them is a loopback one: nothing `pnpm e2e` starts may listen on,
 * or advertise, an address another host could reach. Pure: builds argument lists.
 */

/** Files of the control plane's own PKI (e2e/pki.ts writes them). */
export interface PkiFiles {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

export interface EtcdOptions {
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/** etcd on 127.0.0.1 only, plain HTTP (loopback, test data), no fsync (the data dir is thrown away). */
export function etcdArgs(o: EtcdOptions): string[] {
  const client = `http://127.0.0.1:${o.clientPort}`;
  const peer = `http://127.0.0.1:${o.peerPort}`;
  return [
    '--name=zt-e2e',
    `--data-dir=${o.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=zt-e2e=${peer}`,
    '--initial-cluster-state=new',
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export interface ApiServerOptions {
  readonly pki: PkiFiles;
  readonly etcdClientPort: number;
  readonly securePort: number;
  /** etcd key prefix: each unit gets a cluster of its own in the one etcd. */
  readonly etcdPrefix: string;
}

/** kube-apiserver on 127.0.0.1 with RBAC and the default admission plugins (PodSecurity, ValidatingAdmissionPolicy). */
export function apiServerArgs(o: ApiServerOptions): string[] {
  return [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${o.securePort}`,
    `--etcd-servers=http://127.0.0.1:${o.etcdClientPort}`,
    `--etcd-prefix=${o.etcdPrefix}`,
    `--client-ca-file=${o.pki.caCert}`,
    `--tls-cert-file=${o.pki.serverCert}`,
    `--tls-private-key-file=${o.pki.serverKey}`,
    `--service-account-key-file=${o.pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${o.pki.serviceAccountKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--api-audiences=https://kubernetes.default.svc.cluster.local',
    // No node or Endpoints object for this apiserver: there is no host network to advertise.
    '--endpoint-reconciler-type=none',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=RBAC',
    // As EKS: privileged Pods are the admission policies' to refuse, not the API server's.
    '--allow-privileged=true',
    '--profiling=false',
  ];
}

export interface ControllerManagerOptions {
  readonly kubeconfig: string;
  readonly pki: PkiFiles;
}

/** kube-controller-manager without a serving port (`--secure-port=0`): it only talks to the apiserver. */
export function controllerManagerArgs(o: ControllerManagerOptions): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    '--secure-port=0',
    '--leader-elect=false',
    `--root-ca-file=${o.pki.caCert}`,
    `--service-account-private-key-file=${o.pki.serviceAccountKey}`,
    '--use-service-account-credentials=false',
    '--controllers=*',
    '--profiling=false',
  ];
}

/** Flag names (without `--`) whose values are addresses something listens on or advertises. */
const ADDRESS_FLAG = /(^|-)(address|urls|servers)$|^initial-cluster$/;

/** Hosts accepted as loopback. */
const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|\[?::1\]?)$/;

/** Hosts named in one flag value: URLs, `host:port`, bare IPs, `name=url` lists. */
function hostsIn(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.replace(/^[\w.-]+=(?=\w+:\/\/)/, ''))
    .map((part) => {
      const url = /^\w+:\/\/(\[[^\]]+\]|[^:/]+)/.exec(part);
      if (url) return url[1]!;
      const hostPort = /^(\[[^\]]+\]|[^:]+):\d+$/.exec(part);
      if (hostPort) return hostPort[1]!;
      return part;
    })
    .filter((h) => h !== '');
}

/**
 * Every `--flag=value` of an argument list that names a non-loopback address, as
 * `--flag=value`. An empty result means the process only binds and advertises loopback.
 * Port-only flags (`--secure-port`), paths and `--initial-cluster-state` are not address flags.
 */
export function nonLoopbackFlags(args: readonly string[]): string[] {
  return args.filter((a) => {
    const m = /^--([\w-]+)=(.*)$/.exec(a);
    if (!m || !ADDRESS_FLAG.test(m[1]!)) return false;
    return hostsIn(m[2]!).some((h) => !LOOPBACK.test(h));
  });
}
