import { computed, signal } from '@preact/signals';

export type Role = 'admin' | 'operator' | 'viewer';
export interface Me {
  id: string;
  name: string;
  role: Role;
}

/** The token lives in this tab's sessionStorage only: never in a URL, a cookie or a log. */
const KEY = 'edgefleet.token';

export const token = signal<string | null>(sessionStorage.getItem(KEY));
export const me = signal<Me | null>(null);

export const canWrite = computed(() => me.value?.role === 'operator' || me.value?.role === 'admin');
export const isAdmin = computed(() => me.value?.role === 'admin');

/** Why a control is disabled for this role, shown beside it. */
export const writeDenied = computed(() => (canWrite.value ? null : `Your role (${me.value?.role ?? 'none'}) can only read; this needs operator or admin.`));

/** Checks the token against the server (GET /api/v1/me); keeps it only if it works. */
export async function signIn(candidate: string): Promise<void> {
  const response = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${candidate}` } });
  if (response.status === 401) throw new Error('That token is not valid (unknown or revoked).');
  if (!response.ok) throw new Error(`Sign-in failed: the server answered ${response.status}.`);
  me.value = (await response.json()) as Me;
  sessionStorage.setItem(KEY, candidate);
  token.value = candidate;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  token.value = null;
  me.value = null;
}

/** At start: if this tab already holds a token, learn its role (or drop it). */
export async function restoreSession(): Promise<void> {
  const saved = token.value;
  if (!saved) return;
  try {
    await signIn(saved);
  } catch {
    signOut();
  }
}
