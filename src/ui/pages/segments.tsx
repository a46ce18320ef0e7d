import { ActionIcon, Alert, Button, Group, Menu, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { SegmentListItem } from '../api';
import { fmtNumber, fmtTime } from '../format';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { StatusBadge } from '../status-badge';

const STATUSES = ['draft', 'active', 'paused', 'archived'] as const;

/** `/segments`: every segment with its status, size, destinations and last refresh (SPEC §7). */
export function SegmentsPage() {
  const { api, can } = useSession();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('');
  const [label, setLabel] = useState('');
  const queryClient = useQueryClient();
  // Archived segments are listed only when asked for (SPEC §6).
  const list = useQuery({ queryKey: ['segments', status], queryFn: () => api.segments(status || undefined) });
  const changed = () => queryClient.invalidateQueries({ queryKey: ['segments'] });

  const labels = useMemo(() => [...new Set((list.data ?? []).flatMap((s) => s.labels ?? []))].sort(), [list.data]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (list.data ?? []).filter(
      (s) => (!q || s.name.toLowerCase().includes(q) || s.id.includes(q)) && (!label || (s.labels ?? []).includes(label)),
    );
  }, [list.data, search, label]);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Segments</Title>
        {can('marketer') && <Button onClick={() => navigate('/segments/new')}>New segment</Button>}
      </Group>
      <Group align="end">
        <TextInput label="Search" placeholder="Name or id" value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={260} />
        <NativeSelect label="Status" value={status} onChange={(e) => setStatus(e.currentTarget.value)} data={[{ value: '', label: 'All but archived' }, ...STATUSES.map((s) => ({ value: s, label: s }))]} />
        <NativeSelect label="Label" value={label} onChange={(e) => setLabel(e.currentTarget.value)} data={[{ value: '', label: 'Any label' }, ...labels]} />
      </Group>
      {list.isPending && <Text role="status">Loading segments…</Text>}
      {list.error && <Alert color="red" title="Could not load segments">{list.error.message}</Alert>}
      {list.data && (
        <Table striped highlightOnHover aria-label="Segments">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Size</Table.Th>
              <Table.Th>Destinations</Table.Th>
              <Table.Th>Last refreshed</Table.Th>
              {can('marketer') && <Table.Th>Actions</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((s) => (
              <SegmentRow key={s.id} segment={s} onChanged={changed} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      {list.data && shown.length === 0 && <Text c="dimmed">No segment matches.</Text>}
    </Stack>
  );
}

function SegmentRow({ segment: s, onChanged }: { segment: SegmentListItem; onChanged: () => Promise<void> }) {
  const { api, can } = useSession();
  const [error, setError] = useState<string | undefined>();
  const act = useMutation({
    mutationFn: async (action: 'duplicate' | 'pause' | 'activate' | 'archive') => {
      if (action === 'duplicate') return api.duplicateSegment(s.id);
      if (action === 'archive') return api.archiveSegment(s.id);
      return api.patchSegment(s.id, { status: action === 'pause' ? 'paused' : 'active', version: s.version });
    },
    onSuccess: () => {
      setError(undefined);
      return onChanged();
    },
    onError: (err) => setError(err.message),
  });
  const editable = s.managedBy === 'ui';
  const enabled = s.destinations.filter((d) => d.enabled);
  return (
    <Table.Tr>
      <Table.Td>
        <Link to={`/segments/${encodeURIComponent(s.id)}`}>{s.name}</Link>
        {error && (
          <Text c="red" size="xs" role="alert">
            {error}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <StatusBadge status={s.status} />
      </Table.Td>
      <Table.Td>{fmtNumber(s.size)}</Table.Td>
      <Table.Td>{enabled.length === 0 ? '—' : enabled.map((d) => d.destinationId).join(', ')}</Table.Td>
      <Table.Td>{fmtTime(s.lastRefreshedAt)}</Table.Td>
      {can('marketer') && (
        <Table.Td>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" aria-label="Actions" loading={act.isPending}>
                ⋯
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item onClick={() => act.mutate('duplicate')}>Duplicate</Menu.Item>
              {s.status === 'active' ? (
                <Menu.Item disabled={!editable} onClick={() => act.mutate('pause')}>
                  Pause
                </Menu.Item>
              ) : (
                <Menu.Item disabled={!editable || s.status === 'archived'} onClick={() => act.mutate('activate')}>
                  Activate
                </Menu.Item>
              )}
              <Menu.Item disabled={!editable || s.status === 'archived'} color="red" onClick={() => act.mutate('archive')}>
                Archive
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Table.Td>
      )}
    </Table.Tr>
  );
}
