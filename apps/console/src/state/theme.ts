import { effect, signal } from '@preact/signals';

export type Theme = 'system' | 'light' | 'dark';
const KEY = 'edgefleet.theme';

/** Follows the system unless the operator picked one (kept in localStorage: not a secret). */
export const theme = signal<Theme>((localStorage.getItem(KEY) as Theme | null) ?? 'system');

effect(() => {
  const value = theme.value;
  if (value === 'system') {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.dataset.theme = value;
    localStorage.setItem(KEY, value);
  }
});

export function nextTheme(): void {
  theme.value = theme.value === 'system' ? 'dark' : theme.value === 'dark' ? 'light' : 'system';
}
