/**
 * Fields an operator writes into the `spec` of objects this project renders. Argo CD must not
 * treat them as drift (selfHeal would fight the operator) nor overwrite them on sync, so they
 * become `ignoreDifferences` with `RespectIgnoreDifferences=true`. Nothing else is ignored.
 */
import type { OperatorField } from '../../lib/component';

const TWINGATE_ID = 'the Twingate operator stores the backend object ID it created; losing it (Replace, force, re-create) provisions a duplicate';

export const TWINGATE_OPERATOR_FIELDS: readonly OperatorField[] = [
  { group: 'twingate.com', kind: 'TwingateResource', jqPathExpressions: ['.spec.id'], why: TWINGATE_ID },
  { group: 'twingate.com', kind: 'TwingateGroup', jqPathExpressions: ['.spec.id'], why: TWINGATE_ID },
  { group: 'twingate.com', kind: 'TwingateGateway', jqPathExpressions: ['.spec.id'], why: TWINGATE_ID },
  { group: 'twingate.com', kind: 'TwingateCertificateAuthority', jqPathExpressions: ['.spec.id'], why: TWINGATE_ID },
  {
    group: 'twingate.com',
    kind: 'TwingateConnector',
    jqPathExpressions: ['.spec.id', '.spec.name'],
    why: `${TWINGATE_ID}; it also names the connector (spec.name) when git leaves the name out`,
  },
];
