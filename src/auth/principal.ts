/** What a scoped key may do with its sessions: read them, send as them, or control them (start, stop, config...). */
export const ROLES = ['read', 'send', 'control'] as const;
export type Role = (typeof ROLES)[number];

/** Who is asking: the server's own key (or anyone, when the server runs without one), or a scoped key. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'scoped'; keyId: string; sessions: ReadonlySet<string>; roles: ReadonlySet<Role> };

export const ADMIN: Principal = { kind: 'admin' };

/** Whether the principal may see the session at all (others are answered as if they did not exist). */
export function canSee(principal: Principal, sessionId: string): boolean {
  return principal.kind === 'admin' || principal.sessions.has(sessionId);
}

export function hasRole(principal: Principal, role: Role): boolean {
  return principal.kind === 'admin' || principal.roles.has(role);
}
