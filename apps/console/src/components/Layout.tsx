import type { ComponentChildren } from 'preact';
import { BASE, href, path } from '../state/route';
import { isAdmin, me, signOut } from '../state/session';
import { nextTheme, theme } from '../state/theme';
import { Link } from './Link';

const NAV = [
  ['/', 'Overview'],
  ['/devices', 'Devices'],
  ['/rollouts', 'Rollouts'],
  ['/groups', 'Groups'],
  ['/artifacts', 'Artifacts'],
  ['/audit', 'Audit log'],
] as const;

export function Layout(props: { children: ComponentChildren }) {
  const current = path.value;
  const active = (to: string) => (to === '/' ? current === '/' : current === to || current.startsWith(`${to}/`));
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={`${BASE}/`}>
          EdgeFleet
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <Link href={href(to)} aria-current={active(to) ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            ))}
            {isAdmin.value && (
              <li>
                <Link href={href('/api-keys')} aria-current={active('/api-keys') ? 'page' : undefined}>
                  API keys
                </Link>
              </li>
            )}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="role">
            {me.value?.name} · <strong>{me.value?.role}</strong>
          </span>
          <button type="button" class="ghost" onClick={nextTheme} aria-label={`Theme: ${theme.value}. Change theme`}>
            Theme: {theme.value}
          </button>
          <button type="button" class="ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
