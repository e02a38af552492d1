/**
 * Every environment is built once under the Pulumi mocks, then each concept's suite asserts
 * on the recorded resources and outputs (one suite file per source file). Building once keeps
 * the infra tests cheap: importing @pulumi/aws and registering ~100 resources per environment
 * is most of their cost.
 */
// First: installs the Pulumi mocks before the program's modules load.

import { buildSuite } from './build.suite';
import { connectorHostsSuite } from './connector-hosts.suite';
import { eksSuite } from './eks.suite';
import { builtEnvironments } from './harness';
import { networkSuite } from './network.suite';
import { secretsSuite } from './secrets.suite';
import { twingateSuite } from './twingate.suite';
import { workloadIamSuite } from './workload-iam.suite';

const built = builtEnvironments();

networkSuite(built);
eksSuite(built);
twingateSuite(built);
connectorHostsSuite(built);
secretsSuite(built);
buildSuite(built);
workloadIamSuite(built);
