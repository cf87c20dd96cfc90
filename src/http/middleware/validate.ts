import type { z } from 'zod';
import { InvalidInputError } from '../../shared/errors.js';
import { describeZodError } from '../../shared/zod.js';

/** Parses request input with its schema; a mismatch is a 400 that says which field is wrong and why. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new InvalidInputError(`Invalid ${where}: ${describeZodError(result.error)}`);
  return result.data;
}
