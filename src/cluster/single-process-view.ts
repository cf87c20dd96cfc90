import type { ClusterView } from '../http/cluster-schemas.js';

/** GET /api/v1/cluster of a server without --database-url: one process, nothing shared. */
export function singleProcessView(instanceName: string): ClusterView {
  return { mode: 'single', instance: instanceName, instances: [], sessions: [] };
}
