/**
 * EC2 hosts running the Twingate connector of `aws-network`:
 * private subnets, no public address, IMDSv2 only, encrypted root volume, reachable for
 * operators through SSM Session Manager only (no SSH key, no inbound rule). Each host reads
 * its own tokens from Secrets Manager at boot; the user data holds only the secret's name.
 */
import * as aws from '@pulumi/aws';
import type { Context } from './context';
import { METADATA_OPTIONS } from './eks';
import { role } from './iam';
import type { Network } from './network';
import type { StoredSecret } from './secrets';

/** Canonical's public parameter for the current Ubuntu 24.04 LTS image (SSM agent preinstalled). */
const CONNECTOR_AMI_PARAMETER = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';

/** Boot script: fetch the tokens, then run Twingate's installer with them in its environment only. */
function connectorUserData(region: string, secretName: string, network: string): string {
  return `#!/bin/bash
set -euo pipefail
# Tokens live in Secrets Manager (${secretName}); this script only knows the name.
snap install aws-cli --classic
secret="$(/snap/bin/aws secretsmanager get-secret-value --region ${region} --secret-id '${secretName}' --query SecretString --output text)"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$secret" "$1"; }
curl -fsSL https://binaries.twingate.com/connector/setup.sh | \\
  TWINGATE_ACCESS_TOKEN="$(field TWINGATE_ACCESS_TOKEN)" TWINGATE_REFRESH_TOKEN="$(field TWINGATE_REFRESH_TOKEN)" \\
  TWINGATE_NETWORK='${network}' TWINGATE_LABEL_DEPLOYED_BY=pulumi bash
unset secret
`;
}

export function buildConnectorHosts(ctx: Context, net: Network, secrets: readonly StoredSecret[], secretsKey: aws.kms.Key): aws.ec2.Instance[] {
  const { env, infra, opts } = ctx;
  const ami = aws.ssm.getParameterOutput({ name: CONNECTOR_AMI_PARAMETER }, ctx.invokeOpts).value;
  return secrets.map((stored, i) => {
    const name = `aws-connector-${i + 1}`;
    const hostRole = role(ctx, name, {
      service: 'ec2.amazonaws.com',
      description: `Twingate connector host ${i + 1}: SSM access and its own tokens`,
      managed: ['AmazonSSMManagedInstanceCore'],
      statements: [
        { Action: 'secretsmanager:GetSecretValue', Resource: stored.secret.arn },
        {
          Action: 'kms:Decrypt',
          Resource: secretsKey.arn,
          Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${env.aws.region}.amazonaws.com` } },
        },
      ],
    });
    const profile = new aws.iam.InstanceProfile(name, { name: `${env.name}-${name}`, role: hostRole.name, tags: ctx.tags(name) }, opts);
    return new aws.ec2.Instance(
      name,
      {
        ami,
        instanceType: infra.connectors.ec2InstanceType,
        subnetId: net.privateSubnets[i % net.privateSubnets.length]!.id,
        vpcSecurityGroupIds: [net.connectorSecurityGroup.id],
        associatePublicIpAddress: false,
        iamInstanceProfile: profile.name,
        metadataOptions: METADATA_OPTIONS,
        rootBlockDevice: { encrypted: true, volumeType: 'gp3', volumeSize: 16, deleteOnTermination: true, tags: ctx.tags(`${name}-root`) },
        userData: connectorUserData(env.aws.region, stored.name, ctx.twingateNetwork),
        userDataReplaceOnChange: true,
        monitoring: true,
        tags: ctx.tags(name),
      },
      // A new AMI should not replace a running connector on every `pulumi up`.
      { ...opts, ignoreChanges: ['ami'], dependsOn: [profile] },
    );
  });
}
