import { ActionIcon, Alert, Button, Group, Menu, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { SegmentListItem } from '../api';
import { fmtNumber, fmtTime } from '../format';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { TableHead } from '../table-head';
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
  const changed = useCallback(() => queryClient.invalidateQueries({ queryKey: ['segments'] }), [queryClient]);

  const labels = useMemo(() => [...new Set((list.data ?? []).flatMap((s) => s.labels ?? []))].sort(), [list.data]);
  // Typing stays quick while the list filters behind it.
  const query = useDeferredValue(search);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (list.data ?? []).filter(
      (s) => (!q || s.name.toLowerCase().includes(q) || s.id.includes(q)) && (!label || (s.labels ?? []).includes(label)),
    );
  }, [list.data, query, label]);

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
        <Table className="segments-table" aria-label="Segments">
          <TableHead columns={['Name', 'Status', 'Size', 'Destinations', 'Last refreshed', ...(can('marketer') ? ['Actions'] : [])]} />
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

/** One row; memoised and drawn with plain cells, since the list may hold hundreds of segments. */
const SegmentRow = memo(function SegmentRow({ segment: s, onChanged }: { segment: SegmentListItem; onChanged: () => Promise<void> }) {
  const { can } = useSession();
  const [error, setError] = useState<string | undefined>();
  const enabled = s.destinations.filter((d) => d.enabled);
  return (
    <tr>
      <td>
        <Link to={`/segments/${encodeURIComponent(s.id)}`}>{s.name}</Link>
        {error && (
          <Text c="red" size="xs" role="alert">
            {error}
          </Text>
        )}
      </td>
      <td>
        <StatusBadge status={s.status} />
      </td>
      <td>{fmtNumber(s.size)}</td>
      <td>{enabled.length === 0 ? '—' : enabled.map((d) => d.destinationId).join(', ')}</td>
      <td>{fmtTime(s.lastRefreshedAt)}</td>
      {can('marketer') && (
        <td>
          <RowActions segment={s} onChanged={onChanged} onError={setError} />
        </td>
      )}
    </tr>
  );
});

/**
 * The row's "Actions" menu. Until first opened it is a plain button: a Mantine Menu per row
 * (floating-UI state each) made a long list slow to draw.
 */
function RowActions({ segment: s, onChanged, onError }: { segment: SegmentListItem; onChanged: () => Promise<void>; onError: (e: string | undefined) => void }) {
  const { api } = useSession();
  const [armed, setArmed] = useState(false);
  const ref = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  // Closing swaps the menu back for the plain button: keep the keyboard focus on it.
  useEffect(() => {
    if (!armed && refocus.current) {
      refocus.current = false;
      ref.current?.focus();
    }
  }, [armed]);
  const act = useMutation({
    mutationFn: async (action: 'duplicate' | 'pause' | 'activate' | 'archive') => {
      if (action === 'duplicate') return api.duplicateSegment(s.id);
      if (action === 'archive') return api.archiveSegment(s.id);
      return api.patchSegment(s.id, { status: action === 'pause' ? 'paused' : 'active', version: s.version });
    },
    onSuccess: () => {
      onError(undefined);
      return onChanged();
    },
    onError: (err) => onError(err.message),
  });
  const button = (
    <ActionIcon ref={ref} variant="subtle" aria-label="Actions" aria-haspopup="menu" loading={act.isPending} onClick={() => setArmed(true)}>
      ⋯
    </ActionIcon>
  );
  if (!armed)
    return (
      // Until opened, a plain button styled like Mantine's subtle ActionIcon (hundreds of rows).
      <button ref={ref} type="button" className="row-actions" aria-label="Actions" aria-haspopup="menu" aria-busy={act.isPending} onClick={() => setArmed(true)}>
        ⋯
      </button>
    );
  const editable = s.managedBy === 'ui';
  return (
    <Menu
      position="bottom-end"
      withinPortal
      opened
      onChange={(o) => {
        if (o) return;
        refocus.current = document.activeElement === null || document.activeElement === document.body || ref.current?.contains(document.activeElement) === true;
        setArmed(false);
      }}
    >
      <Menu.Target>{button}</Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => act.mutate('duplicate')}>Duplicate</Menu.Item>
        {s.status === 'active' ? (
          <Menu.Item disabled={!editable} onClick={() => act.mutate('pause')}>
            Pause
          </Menu.Item>
        ) : (
          <Menu.Item disabled={!editable} onClick={() => act.mutate('activate')}>
            Activate
          </Menu.Item>
        )}
        <Menu.Item disabled={!editable || s.status === 'archived'} color="red" onClick={() => act.mutate('archive')}>
          Archive
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
