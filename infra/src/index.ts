/**
 * Pulumi entry point: the stack name is the environment name (`pulumi stack select dev`), and
 * everything else comes from `environments/<name>.ts`, the file the charts read too. A
 * multi-cluster environment has one stack per cluster (`<env>-<cluster>`, its units) and a
 * shared VPC Lattice stack named after the environment itself (src/lattice.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import { loadArgoConfig } from '../../argocd/settings';
import { UserError } from '../../lib/errors';
import { loadEnvironment, loadEnvironments } from '../../lib/load';
import { buildInfra } from './build';
import { buildLatticeShared, readLatticeShared, sharedStackUnits } from './lattice';

async function main() {
  try {
    const stack = pulumi.getStack();
    const environments = await loadEnvironments();
    // No unit has this name but some name it as their environment: the shared Lattice stack.
    const units = sharedStackUnits(stack, environments);
    if (units.length > 0) return buildLatticeShared(stack, units);
    const env = await loadEnvironment(stack);
    // The Argo CD config is checked against every environment, as synth checks it.
    const argo = await loadArgoConfig(environments.map((e) => e.name));
    const config = new pulumi.Config();
    // A Lattice unit's shared stack is read and checked before anything is registered.
    const latticeShared = await readLatticeShared(env);
    return buildInfra(env, { operatorApiKey: config.requireSecret('twingateOperatorApiKey'), argo, environments, latticeShared });
  } catch (e) {
    // RunError prints its message without a stack trace: a user error stays one line.
    if (e instanceof UserError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

// Pulumi exports the resolved object's properties as the stack outputs.
export = main();
