/**
 * Persistent volumes on EKS. A new EKS cluster has no default StorageClass and no provisioner
 * (the in-tree EBS plugin is gone; the EBS CSI driver is an add-on), so a chart's
 * PersistentVolumeClaim stays Pending for ever and its StatefulSet never becomes ready (seen in
 * e2e tier 2: the SPIRE server of urlshort). Components that claim volumes name this class, which
 * the platform renders; infra installs the EBS CSI driver add-on for the environments that run
 * one of them. Shared here because infra and the platform must agree on both.
 */
import type { Environment } from '../../lib/environment';

/** The StorageClass the platform renders: encrypted gp3 through the EBS CSI driver. */
export const EBS_STORAGE_CLASS = 'zt-ebs-gp3';
export const EBS_CSI_PROVISIONER = 'ebs.csi.aws.com';
/** The EBS CSI driver's controller ServiceAccount, which its add-on creates in kube-system. */
export const EBS_CSI_CONTROLLER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'ebs-csi-controller-sa' } as const;

/** Components that claim persistent volumes (the SPIRE server's datastore). */
export const COMPONENTS_WITH_VOLUMES: readonly string[] = ['spire'];

/** Whether the environment runs a component that claims persistent volumes. */
export function usesEbsVolumes(env: Pick<Environment, 'components'>): boolean {
  return env.components.some((c) => COMPONENTS_WITH_VOLUMES.includes(c));
}

/** The StorageClass: encrypted gp3, bound when the pod is scheduled (its zone), kept on release. */
export function ebsStorageClass(labels: Record<string, string>) {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: EBS_STORAGE_CLASS, labels },
    provisioner: EBS_CSI_PROVISIONER,
    parameters: { type: 'gp3', encrypted: 'true' },
    // A volume is zonal: create it where the scheduler put the pod, not in a random zone first.
    volumeBindingMode: 'WaitForFirstConsumer',
    // Deleting the claim (or the environment) keeps the EBS volume: the SPIRE datastore holds the
    // registrations and CA state an operator may want back. Delete it by hand when done.
    reclaimPolicy: 'Retain',
    allowVolumeExpansion: true,
  };
}
