/** Operator API roles (CONTRACT §2), from most to least privileged. */
export const API_ROLES = ['admin', 'operator', 'viewer'] as const;
export type ApiRole = (typeof API_ROLES)[number];

const rank: Record<ApiRole, number> = { admin: 3, operator: 2, viewer: 1 };

/** Whether a key holding `held` may do what needs `required`. */
export function roleSatisfies(held: ApiRole, required: ApiRole): boolean {
  return rank[held] >= rank[required];
}
