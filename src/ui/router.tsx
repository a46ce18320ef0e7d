import { type MouseEvent, type ReactNode, useEffect, useState } from 'react';

/** A small history router: the UI has a handful of pages, so no routing library is shipped. */
export function navigate(to: string): void {
  window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const on = () => setPath(window.location.pathname);
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path;
}

/** `/segments/:id/edit` matched against `path`: the params, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const a = path.replace(/\/+$/, '').split('/');
  if (p.length !== a.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) out[p[i]!.slice(1)] = decodeURIComponent(a[i]!);
    else if (p[i] !== a[i]) return undefined;
  }
  return out;
}

export function Link({ to, children, onClick, ...rest }: { to: string; children?: ReactNode; className?: string; onClick?: (e: MouseEvent<HTMLAnchorElement>) => void; 'aria-current'?: 'page' | undefined }) {
  // Components that render a Link (Mantine's NavLink) pass their own onClick: call it, then route.
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} {...rest} onClick={handle}>
      {children}
    </a>
  );
}
