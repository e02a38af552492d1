/**
 * Per-app AWS declarations (lib/aws-access.ts): the allowed actions, the ARN shape each applies
 * to, no wildcard ever, and the policy statements infra writes from them.
 */
import { describe, expect, it } from 'vitest';
import { AWS_ACTIONS, appRoleName, checkAwsStatements, policyStatements } from '../../lib/aws-access';

const problems = (actions: string[], resources: string[], region = 'us-east-1') =>
  [...checkAwsStatements([{ actions, resources }], region)].map((p) => `${p.path}: ${p.message}`);

describe('AWS access declarations', () => {
  it('accepts each allowed action on a resource of its own type', () => {
    const examples: Record<string, string> = {
      sqs: 'arn:aws:sqs:us-east-1:210987654321:jobs.fifo',
      secretsmanager: 'arn:aws:secretsmanager:us-east-1:210987654321:secret:prod/db-AbC123',
      sns: 'arn:aws:sns:us-east-1:210987654321:events',
      dynamodb: 'arn:aws:dynamodb:us-east-1:210987654321:table/links',
      s3: 'arn:aws:s3:::urlshort-exports/reports/daily.csv',
    };
    for (const [action, spec] of Object.entries(AWS_ACTIONS)) expect(problems([action], [examples[spec.service]!]), action).toEqual([]);
  });

  it('refuses a secret ARN for an SQS action, and a table ARN for S3', () => {
    expect(problems(['sqs:SendMessage'], ['arn:aws:secretsmanager:us-east-1:210987654321:secret:x'])).toEqual([
      'aws[0].resources[0]: "arn:aws:secretsmanager:us-east-1:210987654321:secret:x" is not a resource "sqs:SendMessage" applies to (expected arn:aws:sqs:<region>:<account>:<queue>)',
    ]);
    expect(problems(['s3:GetObject'], ['arn:aws:s3:::bucket'])).toEqual([
      'aws[0].resources[0]: "arn:aws:s3:::bucket" is not a resource "s3:GetObject" applies to (expected arn:aws:s3:::<bucket>/<key>)',
    ]);
  });

  it('refuses every wildcard, in actions and in resources', () => {
    expect(problems(['s3:*'], ['arn:aws:s3:::b/k'])[0]).toMatch(/^aws\[0\]\.actions\[0\]: "s3:\*" is not an allowed action/);
    expect(problems(['s3:GetObject'], ['arn:aws:s3:::b/*'])).toEqual([
      'aws[0].resources[0]: "arn:aws:s3:::b/*" has a wildcard; name exactly the resource the app uses',
    ]);
    expect(problems(['sqs:SendMessage'], ['arn:aws:sqs:us-east-1:210987654321:q?'])).toEqual([
      'aws[0].resources[0]: "arn:aws:sqs:us-east-1:210987654321:q?" has a wildcard; name exactly the resource the app uses',
    ]);
  });

  it('refuses what is not an ARN', () => {
    expect(problems(['sqs:SendMessage'], ['https://sqs.us-east-1.amazonaws.com/210987654321/q'])).toEqual([
      'aws[0].resources[0]: "https://sqs.us-east-1.amazonaws.com/210987654321/q" is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)',
    ]);
  });

  it('writes exactly the declared actions on exactly the declared ARNs, one statement per declaration', () => {
    expect(
      policyStatements([
        { actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:us-east-1:210987654321:b', 'arn:aws:sqs:us-east-1:210987654321:a'] },
        { actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:us-east-1:210987654321:secret:db-x1'] },
      ]),
    ).toEqual([
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ['arn:aws:sqs:us-east-1:210987654321:a', 'arn:aws:sqs:us-east-1:210987654321:b'] },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:us-east-1:210987654321:secret:db-x1'] },
    ]);
    expect(appRoleName('urlshort', 'worker')).toBe('urlshort-app-worker');
  });
});
