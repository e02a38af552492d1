/**
 * Per-app AWS access, as apps declare it (`apps.<name>.aws`): which actions on which ARNs.
 * Infra turns each app's declarations into one IAM role with exactly these statements and an
 * EKS Pod Identity association for the app's ServiceAccount (infra/src/workload-iam.ts); the
 * app never sees node credentials or long-lived keys.
 *
 * Only the actions of {@link AWS_ACTIONS} may be declared, each on the ARNs of its own resource
 * type, and never a wildcard: a role gets what one app needs, nothing that grows with the account.
 */
import { z } from 'zod';

const show = (value: unknown) => JSON.stringify(value);

/**
 * The actions an app may declare, with the ARN shape of the resource each applies to (ARN
 * `service` and the resource part). Data, not code: adding an action is one row, reviewed.
 */
export const AWS_ACTIONS: Readonly<Record<string, { readonly service: string; readonly resource: RegExp; readonly example: string }>> = {
  'sqs:SendMessage': { service: 'sqs', resource: /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, example: 'arn:aws:sqs:<region>:<account>:<queue>' },
  'sqs:ReceiveMessage': { service: 'sqs', resource: /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, example: 'arn:aws:sqs:<region>:<account>:<queue>' },
  'sqs:DeleteMessage': { service: 'sqs', resource: /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, example: 'arn:aws:sqs:<region>:<account>:<queue>' },
  'sqs:ChangeMessageVisibility': { service: 'sqs', resource: /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, example: 'arn:aws:sqs:<region>:<account>:<queue>' },
  'sqs:GetQueueAttributes': { service: 'sqs', resource: /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, example: 'arn:aws:sqs:<region>:<account>:<queue>' },
  'secretsmanager:GetSecretValue': {
    service: 'secretsmanager',
    resource: /^secret:[A-Za-z0-9/_+=.@-]{1,512}$/,
    example: 'arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>',
  },
  'secretsmanager:DescribeSecret': {
    service: 'secretsmanager',
    resource: /^secret:[A-Za-z0-9/_+=.@-]{1,512}$/,
    example: 'arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>',
  },
  'sns:Publish': { service: 'sns', resource: /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/, example: 'arn:aws:sns:<region>:<account>:<topic>' },
  'dynamodb:GetItem': { service: 'dynamodb', resource: /^table\/[A-Za-z0-9_.-]{3,255}$/, example: 'arn:aws:dynamodb:<region>:<account>:table/<name>' },
  'dynamodb:PutItem': { service: 'dynamodb', resource: /^table\/[A-Za-z0-9_.-]{3,255}$/, example: 'arn:aws:dynamodb:<region>:<account>:table/<name>' },
  'dynamodb:Query': { service: 'dynamodb', resource: /^table\/[A-Za-z0-9_.-]{3,255}$/, example: 'arn:aws:dynamodb:<region>:<account>:table/<name>' },
  's3:GetObject': { service: 's3', resource: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^*?]+$/, example: 'arn:aws:s3:::<bucket>/<key>' },
  's3:PutObject': { service: 's3', resource: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^*?]+$/, example: 'arn:aws:s3:::<bucket>/<key>' },
};

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; S3 ARNs have neither region nor account. */
const ARN = /^arn:(aws|aws-us-gov|aws-cn):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/;

/** One statement an app declares: these actions on these ARNs. */
export const awsStatement = z.strictObject({
  /** Actions from {@link AWS_ACTIONS}, e.g. `sqs:SendMessage`. */
  actions: z.array(z.string()).min(1),
  /** Full ARNs of the resources; no wildcard. */
  resources: z.array(z.string()).min(1),
});
export type AwsStatement = z.output<typeof awsStatement>;

interface AccessProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Problems with one app's declarations, field paths relative to the app (`aws[0].actions[1]`):
 * an action outside the list, a malformed or wildcard ARN, an ARN of another service or
 * resource type than the action's, a regional ARN in another region.
 */
export function* checkAwsStatements(statements: readonly AwsStatement[], region: string): Generator<AccessProblem> {
  for (const [i, s] of statements.entries()) {
    for (const [j, action] of s.actions.entries()) {
      if (!AWS_ACTIONS[action]) {
        yield { path: `aws[${i}].actions[${j}]`, message: `${show(action)} is not an allowed action (allowed: ${Object.keys(AWS_ACTIONS).sort().join(', ')})` };
      }
    }
    for (const [j, arn] of s.resources.entries()) {
      const path = `aws[${i}].resources[${j}]`;
      if (/[*?]/.test(arn)) {
        yield { path, message: `${show(arn)} has a wildcard; name exactly the resource the app uses` };
        continue;
      }
      const m = ARN.exec(arn);
      if (!m) {
        yield { path, message: `${show(arn)} is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)` };
        continue;
      }
      const [, , service, arnRegion, , resource] = m as unknown as [string, string, string, string, string, string];
      for (const action of s.actions) {
        const spec = AWS_ACTIONS[action];
        if (!spec) continue;
        if (spec.service !== service || !spec.resource.test(resource)) {
          yield { path, message: `${show(arn)} is not a resource ${show(action)} applies to (expected ${spec.example})` };
          break;
        }
        if (service !== 's3' && arnRegion !== region) {
          yield { path, message: `${show(arn)} is in region ${show(arnRegion)}, not the environment's ${show(region)}` };
          break;
        }
      }
    }
  }
}

/** An app's declarations as IAM policy statements: exactly the declared actions on exactly the declared ARNs. */
export function policyStatements(statements: readonly AwsStatement[]): { Effect: 'Allow'; Action: string[]; Resource: string[] }[] {
  return statements.map((s) => ({ Effect: 'Allow', Action: [...s.actions].sort(), Resource: [...s.resources].sort() }));
}

/** The name of an app's role (`<env>-app-<app>`): what infra creates and ACCESS.md shows. */
export const appRoleName = (env: string, app: string) => `${env}-app-${app}`;
