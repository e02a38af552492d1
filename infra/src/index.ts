/**
 * Pulumi entry point: the stack name is the environment name (`pulumi stack select dev`), and
 * everything else comes from `environments/<name>.ts`, the file the charts read too.
 */
import * as pulumi from '@pulumi/pulumi';
import { loadEnvironment } from '../../lib/load';
import { buildInfra } from './build';

async function main() {
  const env = await loadEnvironment(pulumi.getStack());
  const config = new pulumi.Config();
  return buildInfra(env, { operatorApiKey: config.requireSecret('twingateOperatorApiKey') });
}

// Pulumi exports the resolved object's properties as the stack outputs.
export = main();
