import type { z } from 'zod';
import { InvalidInputError } from '../../shared/errors.js';
import { describeZodError, zodIssues } from '../../shared/zod.js';

/**
 * Parses request input with its schema; a mismatch is a 400 that says which field is wrong and why, in the message
 * and field by field in details.issues (a form shows each next to its field).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new InvalidInputError(`Invalid ${where}: ${describeZodError(result.error)}`, { issues: zodIssues(result.error) });
  return result.data;
}
