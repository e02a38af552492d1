/**
 * Names that cross from the cert-manager component (the provider of issuers) to the components
 * whose Certificates use them, so a consumer's `issuerRef` and the issuer the provider renders
 * are one constant.
 */

/** Namespace cert-manager runs in; also its cluster resource namespace, where a CA ClusterIssuer's Secret lives. */
export const CERT_MANAGER_NAMESPACE = 'cert-manager';

/**
 * The platform's CA `ClusterIssuer`: the issuer of the Twingate access gateway's serving
 * certificate (the default of `twingate.certificate.issuer`). A CA issuer writes `ca.crt` into
 * every Secret it issues, which the TwingateCertificateAuthority registers with Twingate.
 */
export const PLATFORM_CA_ISSUER = 'twingate-gateway-ca';
