/**
 * An error the user caused and can fix (bad environment data, a missing tool, a bad flag).
 * The CLIs print its message as one line and exit non-zero, without a stack trace; anything
 * else that escapes is an internal error and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** The one-line form of a user error about an environment, e.g. `environment prod: network.podCidr: ...`. */
export function environmentError(env: string, path: string, message: string): UserError {
  return new UserError(`environment ${env}: ${path ? `${path}: ` : ''}${message}`);
}
