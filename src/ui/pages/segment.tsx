import { LineChart } from '@mantine/charts';
import { Alert, Badge, Button, Card, Code, Group, Stack, Switch, Table, Tabs, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Run, SegmentDestination } from '../api';
import { fmtDuration, fmtNumber, fmtPercent, fmtTime, statusText } from '../format';
import { navigate } from '../router';
import { useSession } from '../session';
import { TableHead } from '../table-head';
import { StatusBadge } from '../status-badge';
import { PreviewTable } from './builder';

/** A run still going: its badge is polled until it ends. */
const OPEN = new Set(['queued', 'syncing']);

/** `/segments/{id}`: Overview, Destinations, Runs, Definition (SPEC §7). */
export function SegmentPage({ id }: { id: string }) {
  const { api, can } = useSession();
  const queryClient = useQueryClient();
  const segment = useQuery({ queryKey: ['segment', id], queryFn: () => api.segment(id) });
  const refresh = useMutation({
    mutationFn: () => api.refreshSegment(id),
    onSuccess: () => Promise.all([queryClient.invalidateQueries({ queryKey: ['stats', id] }), queryClient.invalidateQueries({ queryKey: ['segments'] })]),
  });
  if (segment.isPending) return <Text role="status">Loading segment…</Text>;
  if (segment.error) return <Alert color="red" title="Could not load the segment">{segment.error.message}</Alert>;
  const s = segment.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Group>
          <Title order={1}>{s.name}</Title>
          <StatusBadge status={s.status} />
          {s.managedBy === 'file' && <Badge variant="outline">managed in outflow.yaml</Badge>}
        </Group>
        <Group>
          {can('marketer') && (
            <Button variant="default" loading={refresh.isPending} onClick={() => refresh.mutate()}>
              Refresh now
            </Button>
          )}
          <Button variant="default" onClick={() => navigate(`/segments/${encodeURIComponent(id)}/edit`)}>
            {can('marketer') && s.managedBy === 'ui' ? 'Edit' : 'Open in builder'}
          </Button>
        </Group>
      </Group>
      {refresh.error && <Alert color="red">{refresh.error.message}</Alert>}
      <Text c="dimmed" size="sm">
        {s.id} · alias {s.alias ?? '—'} · {s.type}
        {s.description ? ` · ${s.description}` : ''}
      </Text>
      <Tabs defaultValue="overview" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="destinations">Destinations</Tabs.Tab>
          <Tabs.Tab value="runs">Runs</Tabs.Tab>
          <Tabs.Tab value="definition">Definition</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <Overview id={id} />
        </Tabs.Panel>
        <Tabs.Panel value="destinations" pt="md">
          <Destinations id={id} active={s.status === 'active'} />
        </Tabs.Panel>
        <Tabs.Panel value="runs" pt="md">
          <Runs id={id} />
        </Tabs.Panel>
        <Tabs.Panel value="definition" pt="md">
          <Code block aria-label="Definition">
            {JSON.stringify(s, null, 2)}
          </Code>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Overview({ id }: { id: string }) {
  const { api } = useSession();
  const stats = useQuery({ queryKey: ['stats', id], queryFn: () => api.stats(id) });
  if (stats.isPending) return <Text role="status">Loading…</Text>;
  if (stats.error) return <Alert color="red">{stats.error.message}</Alert>;
  const points = [...stats.data.evaluations].reverse().map((e) => ({ at: e.evaluatedAt.slice(0, 16).replace('T', ' '), Members: e.memberCount, Added: e.added, Removed: e.removed }));
  return (
    <Stack>
      <Title order={2} size="h4">
        Size over time
      </Title>
      {points.length === 0 ? (
        <Text c="dimmed">Not refreshed yet: “Refresh now” evaluates it.</Text>
      ) : (
        <figure aria-label="Size over time" style={{ margin: 0 }}>
          <LineChart h={220} data={points} dataKey="at" series={[{ name: 'Members', color: 'indigo.6' }]} curveType="linear" withDots={points.length < 60} />
        </figure>
      )}
      {points.length > 0 && (
        <Table aria-label="Refreshes" striped>
          <TableHead columns={['Refreshed', 'Members', 'Added', 'Removed']} />
          <Table.Tbody>
            {stats.data.evaluations.slice(0, 10).map((e) => (
              <Table.Tr key={e.evaluatedAt}>
                <Table.Td>{fmtTime(e.evaluatedAt)}</Table.Td>
                <Table.Td>{fmtNumber(e.memberCount)}</Table.Td>
                <Table.Td>+{fmtNumber(e.added)}</Table.Td>
                <Table.Td>−{fmtNumber(e.removed)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={2} size="h4">
        Members
      </Title>
      <PreviewTable segmentId={id} />
    </Stack>
  );
}

function Destinations({ id, active }: { id: string; active: boolean }) {
  const { api } = useSession();
  const list = useQuery({
    queryKey: ['segment-destinations', id],
    queryFn: () => api.segmentDestinations(id),
    // While a run goes, its badge follows it.
    refetchInterval: (q) => ((q.state.data ?? []).some((d) => OPEN.has(d.status ?? '')) ? 750 : false),
  });
  if (list.isPending) return <Text role="status">Loading destinations…</Text>;
  if (list.error) return <Alert color="red">{list.error.message}</Alert>;
  if (list.data.length === 0) return <Text c="dimmed">No ad platform is connected yet (Destinations page, data role).</Text>;
  return (
    <Stack>
      {!active && <Alert color="gray">The segment is not active: switching a platform on creates its sync, which runs once the segment is active.</Alert>}
      {list.data.map((d) => (
        <DestinationCard key={d.destinationId} segmentId={id} d={d} />
      ))}
    </Stack>
  );
}

function DestinationCard({ segmentId, d }: { segmentId: string; d: SegmentDestination }) {
  const { api, can } = useSession();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | undefined>();
  const refetch = () => queryClient.invalidateQueries({ queryKey: ['segment-destinations', segmentId] });
  const after = { onSuccess: () => { setError(undefined); return refetch(); }, onError: (e: Error) => setError(e.message) };
  const toggle = useMutation({
    mutationFn: async (enabled: boolean) => {
      const entry = await api.toggle(segmentId, d.destinationId, enabled);
      // Switching on sends the audience at once rather than at the next scheduled run.
      if (enabled && entry.syncId && !OPEN.has(entry.status ?? '')) await api.runSync(entry.syncId).catch(() => undefined);
      return entry;
    },
    ...after,
  });
  const runNow = useMutation({ mutationFn: () => api.runSync(d.syncId!), ...after });
  const confirm = useMutation({ mutationFn: () => api.confirmRun(d.lastRun!.runId), ...after });
  const run = d.lastRun;
  const busy = OPEN.has(d.status ?? '');
  return (
    <Card withBorder component="section" aria-label={d.title}>
      <Group justify="space-between" align="start">
        <Stack gap={4}>
          {can('marketer') ? (
            <Switch label={`Sync to ${d.title}`} checked={toggle.isPending ? toggle.variables : d.enabled} aria-busy={toggle.isPending} onChange={(e) => toggle.mutate(e.currentTarget.checked)} />
          ) : (
            <Text fw={600}>
              {d.title}: {d.enabled ? 'on' : 'off'}
            </Text>
          )}
          <Group gap="xs">
            <Text size="sm">Status</Text>
            <StatusBadge status={d.status} role="status" aria-label={`${d.title} status`} />
          </Group>
          <Text size="sm">
            Match rate: {fmtPercent(d.matchRate)}
            {run && run.accepted !== null && run.sent !== null ? ` (${fmtNumber(run.accepted)} accepted of ${fmtNumber(run.sent)} sent)` : ''}
          </Text>
          <Text size="sm">Last run: {run ? `${fmtTime(run.finishedAt ?? run.queuedAt)}, ${statusText(run.status)}` : 'never'}</Text>
          {run?.error && <Text size="sm">{run.error}</Text>}
        </Stack>
        {can('marketer') && d.syncId && (
          <Group>
            <Button variant="default" loading={runNow.isPending} disabled={busy} onClick={() => runNow.mutate()}>
              Run now
            </Button>
            {d.status === 'needs_confirmation' && run && (
              <Button color="red" loading={confirm.isPending} onClick={() => confirm.mutate()}>
                Confirm removals
              </Button>
            )}
          </Group>
        )}
      </Group>
      {d.status === 'needs_confirmation' && run && (
        <Text size="sm" mt="xs">
          Confirming sends {fmtNumber(run.planned)} changes{run.deferred !== null ? `, ${fmtNumber(run.deferred)} of them held back until now` : ''}.
        </Text>
      )}
      {error && (
        <Text c="red" size="sm" role="alert">
          {error}
        </Text>
      )}
    </Card>
  );
}

function Runs({ id }: { id: string }) {
  const { api } = useSession();
  const stats = useQuery({
    queryKey: ['stats', id, 'runs'],
    queryFn: () => api.stats(id),
    refetchInterval: (q) => ((q.state.data?.syncs ?? []).some((s) => s.runs.some((r) => OPEN.has(r.status))) ? 1000 : false),
  });
  if (stats.isPending) return <Text role="status">Loading runs…</Text>;
  if (stats.error) return <Alert color="red">{stats.error.message}</Alert>;
  const runs = stats.data.syncs.flatMap((s) => s.runs.map((r) => ({ ...r, destinationId: s.destinationId }))).sort((a, b) => b.queuedAt.localeCompare(a.queuedAt));
  return <RunsTable runs={runs} />;
}

export function RunsTable({ runs }: { runs: (Run & { destinationId?: string })[] }) {
  if (runs.length === 0) return <Text c="dimmed">No runs yet.</Text>;
  return (
    <Table aria-label="Runs" striped>
      <TableHead columns={['Started', 'Sync', 'Status', 'Planned', 'Accepted', 'Rejected', 'Match rate', 'Duration']} />
      <Table.Tbody>
        {runs.map((r) => (
          <Table.Tr key={r.runId}>
            <Table.Td>{fmtTime(r.startedAt ?? r.queuedAt)}</Table.Td>
            <Table.Td>{r.destinationId ? `${r.syncId} → ${r.destinationId}` : r.syncId}</Table.Td>
            <Table.Td>
              <StatusBadge status={r.status} />
            </Table.Td>
            <Table.Td>{fmtNumber(r.planned)}</Table.Td>
            <Table.Td>{fmtNumber(r.accepted)}</Table.Td>
            <Table.Td>
              {fmtNumber(r.rejected)}
              {r.rejectedByReason.length > 0 && (
                <Text size="xs" c="dimmed">
                  {r.rejectedByReason.map((x) => `${x.reason}: ${x.count}`).join('; ')}
                </Text>
              )}
            </Table.Td>
            <Table.Td>{fmtPercent(r.matchRate)}</Table.Td>
            <Table.Td>{fmtDuration(r.startedAt, r.finishedAt)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
