import { Alert, AppShell, Button, Container, Group, NavLink, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, lazy, Suspense, useEffect, useState } from 'react';
import { ApiClient, ApiError } from './api';
import { Link, match, navigate, usePath } from './router';
import { makeSession, type Session, SessionProvider, tokenStore, useSession } from './session';
import { SegmentsPage } from './pages/segments';

// Pages past the first are loaded when opened: the segments list stays small and quick.
const BuilderPage = lazy(() => import('./pages/builder').then((m) => ({ default: m.BuilderPage })));
const SegmentPage = lazy(() => import('./pages/segment').then((m) => ({ default: m.SegmentPage })));
const DestinationsPage = lazy(() => import('./pages/destinations').then((m) => ({ default: m.DestinationsPage })));
const ActivityPage = lazy(() => import('./pages/activity').then((m) => ({ default: m.ActivityPage })));
const AuditPage = lazy(() => import('./pages/audit').then((m) => ({ default: m.AuditPage })));

export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [checking, setChecking] = useState(() => tokenStore.get() !== null);
  const queryClient = useQueryClient();

  const signOut = () => {
    tokenStore.clear();
    queryClient.clear();
    setSession(undefined);
  };
  const signIn = async (token: string): Promise<void> => {
    const me = await new ApiClient(token).me();
    tokenStore.set(token);
    setSession(makeSession(token, me, signOut));
  };

  useEffect(() => {
    const saved = tokenStore.get();
    if (saved === null) return;
    signIn(saved)
      .catch(() => tokenStore.clear())
      .finally(() => setChecking(false));
    // Once, at start.
  }, []);

  if (checking) return <Text p="md">Loading…</Text>;
  if (!session) return <SignIn onSignIn={signIn} />;
  return (
    <SessionProvider value={session}>
      <Shell />
    </SessionProvider>
  );
}

function SignIn({ onSignIn }: { onSignIn: (token: string) => Promise<void> }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(token.trim());
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'This token is not valid (create one with: outflow tokens create).' : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main>
      <Container size={420} py={80}>
        <form onSubmit={(e) => void submit(e)}>
          <Stack>
            <Title order={1}>Sign in to Outflow</Title>
            <Text c="dimmed" size="sm">
              Paste an API token (outflow tokens create --name NAME --role marketer).
            </Text>
            <PasswordInput label="Token" value={token} onChange={(e) => setToken(e.currentTarget.value)} error={error} required autoFocus />
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Container>
    </main>
  );
}

function Shell() {
  const path = usePath();
  const { me, can, signOut } = useSession();
  const nav = [
    { to: '/segments', label: 'Segments', show: true },
    { to: '/destinations', label: 'Destinations', show: can('data') },
    { to: '/activity', label: 'Activity', show: true },
    { to: '/audit', label: 'Audit log', show: can('admin') },
  ];
  useEffect(() => {
    if (path === '/' || path === '') navigate('/segments');
  }, [path]);
  return (
    <AppShell navbar={{ width: 200, breakpoint: 0 }} header={{ height: 52 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Text fw={700}>Outflow</Text>
          <Group gap="sm">
            <Text size="sm">
              Signed in as {me.name} ({me.role})
            </Text>
            <Button variant="default" size="xs" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {nav
          .filter((n) => n.show)
          .map((n) => (
            <NavLink key={n.to} label={n.label} component={Link} to={n.to} active={path.startsWith(n.to)} styles={{ label: { color: "var(--mantine-color-black)" } }} aria-current={path.startsWith(n.to) ? 'page' : undefined} />
          ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <main>
          <Suspense fallback={<Text>Loading…</Text>}>
            <Page path={path} />
          </Suspense>
        </main>
      </AppShell.Main>
    </AppShell>
  );
}

function Page({ path }: { path: string }) {
  const { can } = useSession();
  let m: Record<string, string> | undefined;
  if (match('/segments', path) || path === '/') return <SegmentsPage />;
  if (match('/segments/new', path)) return <BuilderPage />;
  if ((m = match('/segments/:id/edit', path))) return <BuilderPage id={m.id!} />;
  if ((m = match('/segments/:id', path))) return <SegmentPage id={m.id!} />;
  if (match('/destinations', path)) return can('data') ? <DestinationsPage /> : <Forbidden role="data" />;
  if (match('/activity', path)) return <ActivityPage />;
  if (match('/audit', path)) return can('admin') ? <AuditPage /> : <Forbidden role="admin" />;
  return (
    <Alert color="gray" title="Not found">
      No page at {path}. <Link to="/segments">Segments</Link>
    </Alert>
  );
}

function Forbidden({ role }: { role: string }) {
  return (
    <Alert color="orange" title="Not available">
      This page needs the {role} role.
    </Alert>
  );
}
