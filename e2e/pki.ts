/**
 * A throw-away PKI for the e2e control plane, made with the system's openssl: a CA, the
 * apiserver's serving certificate (for 127.0.0.1 only), an admin client certificate in
 * `system:masters`, a service-account signing key, and a kubeconfig that uses them. Valid for
 * two days; it lives in the run's temp directory and dies with it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PkiFiles } from './flags';

export interface Pki extends PkiFiles {
  readonly adminCert: string;
  readonly adminKey: string;
}

function openssl(dir: string, args: readonly string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`openssl is needed for the e2e PKI: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
}

/** Key and certificate signed by the CA, with the given subject and extensions. */
function signed(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Writes the PKI into `dir`. */
export function makePki(dir: string): Pki {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=zt-e2e-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  signed(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n',
  );
  signed(dir, 'admin', '/O=system:masters/CN=zt-e2e-admin', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  const at = (f: string) => join(dir, f);
  return {
    caCert: at('ca.crt'),
    caKey: at('ca.key'),
    serverCert: at('apiserver.crt'),
    serverKey: at('apiserver.key'),
    serviceAccountKey: at('sa.key'),
    serviceAccountPub: at('sa.pub'),
    adminCert: at('admin.crt'),
    adminKey: at('admin.key'),
  };
}

/** A kubeconfig for the admin user against `https://127.0.0.1:<port>`. */
export function writeKubeconfig(path: string, pki: Pki, port: number): void {
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: zt-e2e',
      '    cluster:',
      `      server: https://127.0.0.1:${port}`,
      `      certificate-authority: ${pki.caCert}`,
      'users:',
      '  - name: zt-e2e-admin',
      '    user:',
      `      client-certificate: ${pki.adminCert}`,
      `      client-key: ${pki.adminKey}`,
      'contexts:',
      '  - name: zt-e2e',
      '    context:',
      '      cluster: zt-e2e',
      '      user: zt-e2e-admin',
      'current-context: zt-e2e',
      '',
    ].join('\n'),
  );
}
