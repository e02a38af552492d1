/**
 * What every builder of the program needs: the environment, its infra settings, the providers
 * to create resources with, and a tagger. Builders take a context, never globals, so the tests
 * can build every environment in one process.
 */
import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { Environment } from '../../lib/environment';
import type { InfraSettings } from '../../lib/environment-infra';
import { environmentError } from '../../lib/errors';
import { maybeTwingate } from '../../platform/twingate/settings';
import { baseTags, type Tags } from './tags';

export interface Context {
  readonly env: Environment;
  readonly infra: InfraSettings;
  readonly twingateNetwork: string;
  /** Options for AWS resources: the environment's own provider (its region). */
  readonly opts: pulumi.CustomResourceOptions;
  readonly invokeOpts: pulumi.InvokeOutputOptions;
  /** `aws`, `aws-us-gov` or `aws-cn`: part of every AWS-managed ARN. */
  readonly partition: pulumi.Output<string>;
  /** Required tags plus `Name: <env>-<name>` (what the console shows). */
  tags(name: string, extra?: Tags): Tags;
}

/** A user error when the environment lacks what the cloud needs. */
export function createContext(env: Environment): Context {
  if (!env.infra) throw environmentError(env.name, 'infra', 'is required to build the cloud (owner, nodes, ...; see lib/environment-infra.ts)');
  const tg = maybeTwingate(env);
  if (!tg) throw environmentError(env.name, 'twingate', 'is required to build the cloud (the Twingate network of the connectors)');
  const infra = env.infra;
  const provider = new aws.Provider(`aws-${env.name}`, { region: env.aws.region as aws.Region });
  const invokeOpts = { provider };
  return {
    env,
    infra,
    twingateNetwork: tg.network,
    opts: { provider },
    invokeOpts,
    partition: aws.getPartitionOutput({}, invokeOpts).partition,
    tags: (name, extra = {}) => ({ ...baseTags(env, infra), Name: `${env.name}-${name}`, ...extra }),
  };
}
