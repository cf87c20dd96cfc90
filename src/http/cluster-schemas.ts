import { z } from '../shared/zod.js';

export const ClusterInstanceSchema = z.object({
  name: z.string(),
  url: z.string().openapi({ description: 'Where the other instances reach it (--advertised-url)' }),
  live: z.boolean().openapi({ description: 'Its heartbeat is younger than the lease time and it is not shutting down' }),
  stopping: z.boolean(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  maxSessions: z.number().int(),
  memoryMib: z.number().int().openapi({ description: "PSS of its sessions' browsers at its last heartbeat" }),
  availableMib: z.number().int().openapi({
    description: 'Memory its host (within its container limit) had available at its last heartbeat; new and orphaned sessions go first where it is not short (0: unknown)',
  }),
  sessions: z.array(z.string()).openapi({ description: 'Sessions it holds the lease of' }),
});

export const ClusterSchema = z.object({
  mode: z.enum(['single', 'cluster']).openapi({ description: 'single: one process with local files (no --database-url)' }),
  instance: z.string().openapi({ description: 'The instance that answered' }),
  instances: z.array(ClusterInstanceSchema),
  sessions: z.array(
    z.object({
      id: z.string(),
      instance: z.string().nullable().openapi({ description: 'The instance driving it; null while it moves' }),
      loginBackup: z.object({ bytes: z.number().int(), savedAt: z.string() }).nullable(),
    }),
  ),
});

export type ClusterView = z.infer<typeof ClusterSchema>;
