import { describe, expect, it } from 'vitest';
import { apiServerArgs, controllerManagerArgs, etcdArgs, nonLoopbackFlags, type PkiFiles } from '../../e2e/flags';

const pki: PkiFiles = {
  caCert: '/p/ca.crt',
  caKey: '/p/ca.key',
  serverCert: '/p/s.crt',
  serverKey: '/p/s.key',
  serviceAccountKey: '/p/sa.key',
  serviceAccountPub: '/p/sa.pub',
};

describe('control-plane command lines', () => {
  it('bind and advertise 127.0.0.1 only: etcd, kube-apiserver and kube-controller-manager', () => {
    const all = [
      etcdArgs({ dataDir: '/d', clientPort: 2379, peerPort: 2380 }),
      apiServerArgs({ pki, etcdClientPort: 2379, securePort: 6443, etcdPrefix: '/zt-e2e/dev' }),
      controllerManagerArgs({ kubeconfig: '/k', pki }),
    ];
    for (const args of all) expect(nonLoopbackFlags(args)).toEqual([]);
    expect(all[0]).toContain('--listen-client-urls=http://127.0.0.1:2379');
    expect(all[0]).toContain('--initial-cluster=zt-e2e=http://127.0.0.1:2380');
    expect(all[1]).toEqual(expect.arrayContaining(['--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', '--etcd-prefix=/zt-e2e/dev']));
    // The controller-manager serves nothing at all.
    expect(all[2]).toContain('--secure-port=0');
  });
});

describe('nonLoopbackFlags', () => {
  it('names every address flag that is not loopback, in any of the shapes the binaries take', () => {
    const args = [
      '--bind-address=0.0.0.0',
      '--advertise-address=10.0.0.5',
      '--listen-client-urls=http://127.0.0.1:2379,http://192.168.1.2:2379',
      '--listen-peer-urls=http://[::]:2380',
      '--initial-cluster=a=http://127.0.0.1:2380,b=http://example.org:2380',
      '--etcd-servers=http://localhost:2379',
      '--metrics-bind-address=127.0.0.2:10257',
      '--healthz-bind-address=[::1]:10256',
      '--secure-port=6443',
      '--initial-cluster-state=new',
      '--data-dir=/tmp/0.0.0.0',
    ];
    expect(nonLoopbackFlags(args)).toEqual([
      '--bind-address=0.0.0.0',
      '--advertise-address=10.0.0.5',
      '--listen-client-urls=http://127.0.0.1:2379,http://192.168.1.2:2379',
      '--listen-peer-urls=http://[::]:2380',
      '--initial-cluster=a=http://127.0.0.1:2380,b=http://example.org:2380',
    ]);
  });
});
