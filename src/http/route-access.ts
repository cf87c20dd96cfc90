import type { Role } from '../auth/principal.js';
import { OPERATIONS, type Operation } from './openapi.js';

/** Who may call a route: anyone, the server's own key only, or a key with this role (for its own sessions). */
export type Access = 'public' | 'admin' | Role;

/** The access a documented operation needs, from its tag and method. */
/** Reads that hand out what links a phone (QR codes) or what often carries a token (webhook URLs). */
const CONTROL_READS = /\/(qr|qr\/image|webhooks|webhooks\/deliveries)$/;

export function accessOf(operation: Pick<Operation, 'method' | 'tag' | 'path'>): Access {
  if (operation.tag === 'server') return 'public';
  if (operation.method === 'get' && CONTROL_READS.test(operation.path)) return 'control';
  if (operation.tag === 'maintenance' || operation.tag === 'keys' || operation.tag === 'cluster') return 'admin';
  if (operation.tag === 'metrics' || operation.method === 'get') return 'read';
  // acting as the account in its chats and groups
  if (operation.tag === 'messages' || operation.tag === 'groups') return 'send';
  return 'control';
}

export interface RouteRule {
  method: string;
  pattern: RegExp;
  access: Access;
  /** Whether the path names a session ({id}): its first capture group. */
  hasSession: boolean;
}

/** Every documented operation as a rule a request can be matched against before the routers run. */
export function routeRules(operations: readonly Operation[] = OPERATIONS): RouteRule[] {
  return operations.map((operation) => ({
    method: operation.method.toUpperCase(),
    pattern: new RegExp(`^${operation.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, '([^/]+)')}/?$`),
    access: accessOf(operation),
    hasSession: operation.path.includes('{id}'),
  }));
}

/** The rule of the route a request is for (HEAD is matched as GET); undefined for a path no route serves. */
export function ruleFor(rules: readonly RouteRule[], method: string, pathname: string): { rule: RouteRule; sessionId?: string } | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  for (const rule of rules) {
    if (rule.method !== wanted) continue;
    const match = rule.pattern.exec(pathname);
    if (!match) continue;
    return { rule, sessionId: rule.hasSession ? safeDecode(match[1] ?? '') : undefined };
  }
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
