import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Every schema module imports z from here, so request validation and the OpenAPI document share one source.
extendZodWithOpenApi(z);

export { z };

/** "config.qrTimeout: Too small: expected number to be >=5" for each problem, joined. */
export function describeZodError(error: z.ZodError): string {
  return zodIssues(error)
    .map(({ path, message }) => (path !== '' ? `${path}: ${message}` : message))
    .join('; ');
}

/** Each problem with the path of its field: [{path: 'config.qrTimeout', message: 'Too small: …'}]. */
export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}
