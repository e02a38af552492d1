/**
 * Pulumi entry point: the stack name is the environment name (`pulumi stack select dev`), and
 * everything else comes from `environments/<name>.ts`, the file the charts read too.
 */
import * as pulumi from '@pulumi/pulumi';
import { loadArgoConfig } from '../../argocd/settings';
import { UserError } from '../../lib/errors';
import { loadEnvironment, loadEnvironments } from '../../lib/load';
import { buildInfra } from './build';

async function main() {
  try {
    const env = await loadEnvironment(pulumi.getStack());
    // The Argo CD config is checked against every environment, as synth checks it.
    const argo = await loadArgoConfig((await loadEnvironments()).map((e) => e.name));
    const config = new pulumi.Config();
    return buildInfra(env, { operatorApiKey: config.requireSecret('twingateOperatorApiKey'), argo });
  } catch (e) {
    // RunError prints its message without a stack trace: a user error stays one line.
    if (e instanceof UserError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

// Pulumi exports the resolved object's properties as the stack outputs.
export = main();
