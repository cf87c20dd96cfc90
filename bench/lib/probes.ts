/** Probes for blocks that need a feature not every build has: they answer why a build cannot run the block. */
import type { ServerProcess } from '../../test/e2e/harness.js';

interface OpenApiDocument {
  paths?: Record<string, Partial<Record<string, unknown>>>;
}

/**
 * undefined when the server's OpenAPI document lists the operation, e.g. ('post', '/api/v1/sessions/{id}/hibernate');
 * otherwise a reason for the table.
 */
export async function missingRoute(server: ServerProcess, method: string, route: string): Promise<string | undefined> {
  const response = await server.api<OpenApiDocument>('GET', '/openapi.json');
  if (response.status !== 200) return `no /openapi.json (${response.status})`;
  return response.body.paths?.[route]?.[method.toLowerCase()] === undefined ? `no ${method.toUpperCase()} ${route}` : undefined;
}
