import { Alert, Button, Card, Code, Fieldset, Group, Loader, NativeSelect, Radio, Stack, Table, Tabs, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { healthTermMessage, findHealthTerm } from '../../segments/health-terms';
import { ApiError, type EntityFields, type Segment } from '../api';
import { ConditionEditor, type FieldCatalog, catalogOf } from '../conditions';
import { fmtNumber, slugify } from '../format';
import { navigate } from '../router';
import { fromRules, MAX_DEPTH, newCondition, newGroup, pathsByKey, toRules, type Match, type UiGroup } from '../rule-model';
import { useSession } from '../session';
import { TableHead } from '../table-head';

/** `/segments/new` and `/segments/{id}/edit`: the segment builder (SPEC §7). */
export function BuilderPage({ id }: { id?: string }) {
  const { api } = useSession();
  const existing = useQuery({ queryKey: ['segment', id], queryFn: () => api.segment(id!), enabled: id !== undefined });
  const entities = useQuery({ queryKey: ['entities'], queryFn: () => api.entities() });
  if (id !== undefined && existing.isPending) return <Text role="status">Loading segment…</Text>;
  if (existing.error) return <Alert color="red" title="Could not load the segment">{existing.error.message}</Alert>;
  if (entities.isPending) return <Text role="status">Loading…</Text>;
  const entityIds = (entities.data ?? []).map((e) => e.id);
  return <Builder key={id ?? 'new'} segment={existing.data} entityIds={entityIds} />;
}

interface Draft {
  name: string;
  description: string;
  alias: string;
  entity: string;
  root: UiGroup;
}

function Builder({ segment, entityIds }: { segment?: Segment; entityIds: string[] }) {
  const { api, can } = useSession();
  const queryClient = useQueryClient();
  const readOnly = segment?.managedBy === 'file' || !can('marketer');
  const [draft, setDraft] = useState<Draft>(() => ({
    name: segment?.name ?? '',
    description: segment?.description ?? '',
    alias: segment?.alias ?? '',
    entity: segment?.entity ?? entityIds[0] ?? '',
    root: segment?.rules ? fromRules(segment.rules) : newGroup('all', [newCondition('event')]),
  }));
  const [errors, setErrors] = useState<{ path: string; message: string }[]>([]);
  const [saving, setSaving] = useState<'draft' | 'active' | undefined>();
  const fields = useQuery({ queryKey: ['fields', draft.entity], queryFn: () => api.fields(draft.entity), enabled: draft.entity !== '', staleTime: 60_000 });
  const segments = useQuery({ queryKey: ['segments', ''], queryFn: () => api.segments() });
  const catalog: FieldCatalog = useMemo(() => catalogOf(fields.data, (segments.data ?? []).filter((s) => s.id !== segment?.id)), [fields.data, segments.data, segment?.id]);

  const aliasTerm = draft.alias ? findHealthTerm(draft.alias) : undefined;
  const aliasError = aliasTerm ? healthTermMessage(draft.alias, aliasTerm) : errorAt(errors, 'alias');
  const rules = useMemo(() => toRules(draft.root), [draft.root]);
  const paths = useMemo(() => pathsByKey(draft.root), [draft.root]);

  const update = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setErrors([]);
  };

  const save = async (status: 'draft' | 'active') => {
    if (aliasTerm) return;
    setSaving(status);
    setErrors([]);
    const body = {
      entity: draft.entity,
      name: draft.name,
      ...(draft.description ? { description: draft.description } : {}),
      ...(draft.alias ? { alias: draft.alias } : {}),
      type: 'dynamic' as const,
      status,
      rules,
    };
    try {
      let saved: Segment;
      if (segment) {
        saved = await api.patchSegment(segment.id, { ...body, description: draft.description || null, version: segment.version });
      } else {
        const ids = new Set((await api.segments('draft,active,paused,archived')).map((s) => s.id));
        const base = slugify(draft.name);
        let id = base;
        for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
        saved = await api.createSegment({ id, ...body });
      }
      await queryClient.invalidateQueries({ queryKey: ['segments'] });
      await queryClient.invalidateQueries({ queryKey: ['segment', saved.id] });
      navigate(`/segments/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) setErrors([{ path: err.path ?? '', message: err.message }]);
      else setErrors([{ path: '', message: (err as Error).message }]);
    } finally {
      setSaving(undefined);
    }
  };

  const formError = errors.find((e) => !['name', 'description', 'alias'].includes(e.path) && ![...paths.values()].some((p) => e.path.startsWith(p)));
  return (
    <Stack maw={1000}>
      <Title order={1}>{segment ? `Edit ${segment.name}` : 'New segment'}</Title>
      {segment?.managedBy === 'file' && (
        <Alert color="blue" title="Read-only">
          This segment is managed in outflow.yaml: change it there and run outflow apply.
        </Alert>
      )}
      <Fieldset legend="Segment" disabled={readOnly}>
        <Stack>
          <TextInput label="Name" value={draft.name} onChange={(e) => update({ name: e.currentTarget.value })} error={errorAt(errors, 'name')} />
          <Textarea label="Description" value={draft.description} onChange={(e) => update({ description: e.currentTarget.value })} error={errorAt(errors, 'description')} autosize minRows={1} />
          <TextInput
            label="Ad platform alias"
            description="The only name ad platforms see; left empty, a random one is made."
            value={draft.alias}
            onChange={(e) => update({ alias: e.currentTarget.value })}
            error={aliasError}
          />
          {entityIds.length > 1 && (
            <NativeSelect label="Entity" value={draft.entity} onChange={(e) => update({ entity: e.currentTarget.value })} data={entityIds} />
          )}
        </Stack>
      </Fieldset>
      <Fieldset legend="Rules" disabled={readOnly}>
        {fields.isPending && <Text role="status">Loading fields…</Text>}
        {fields.error && <Alert color="red">{fields.error.message}</Alert>}
        <GroupEditor
          group={draft.root}
          depth={1}
          catalog={catalog}
          readOnly={readOnly}
          errors={errors}
          paths={paths}
          onChange={(root) => update({ root })}
        />
      </Fieldset>
      <EstimatedSize entity={draft.entity} rules={rules} enabled={can('marketer') && draft.entity !== '' && draft.root.conditions.length > 0} onError={setErrors} />
      {formError && (
        <Alert color="red" title="Cannot save" role="alert">
          {formError.path ? `${formError.path}: ` : ''}
          {formError.message}
        </Alert>
      )}
      {!readOnly && (
        <Group>
          <Button variant="default" loading={saving === 'draft'} disabled={saving !== undefined} onClick={() => void save('draft')}>
            Save draft
          </Button>
          <Button loading={saving === 'active'} disabled={saving !== undefined} onClick={() => void save('active')}>
            Save and activate
          </Button>
        </Group>
      )}
      <Tabs defaultValue="preview" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="preview">Preview</Tabs.Tab>
          <Tabs.Tab value="sql">SQL</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="preview" pt="sm">
          {segment ? <PreviewTable segmentId={segment.id} /> : <Text c="dimmed">Save a draft to preview its members.</Text>}
        </Tabs.Panel>
        <Tabs.Panel value="sql" pt="sm">
          {segment ? <SqlView segmentId={segment.id} /> : <Text c="dimmed">Save a draft to see its SQL.</Text>}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function errorAt(errors: { path: string; message: string }[], path: string): string | undefined {
  return errors.find((e) => e.path === path)?.message;
}

interface GroupProps {
  group: UiGroup;
  depth: number;
  catalog: FieldCatalog;
  readOnly: boolean;
  errors: { path: string; message: string }[];
  paths: Map<string, string>;
  onChange: (g: UiGroup) => void;
  onRemove?: () => void;
}

/** A group of conditions: match all / any, its conditions, and nested groups up to depth 5. */
function GroupEditor({ group, depth, catalog, readOnly, errors, paths, onChange, onRemove }: GroupProps) {
  const set = (patch: Partial<UiGroup>) => onChange({ ...group, ...patch });
  const groupPath = paths.get(group.key) ?? '';
  const ownError = errors.find((e) => e.path === groupPath || e.path === `${groupPath}.conditions`);
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Radio.Group value={group.match} onChange={(v) => set({ match: v as Match })} aria-label={depth === 1 ? 'Match' : `Group match (level ${depth})`}>
          <Group>
            <Radio value="all" label="Match all" />
            <Radio value="any" label="Match any" />
          </Group>
        </Radio.Group>
        {onRemove && !readOnly && (
          <Button variant="subtle" color="red" size="xs" onClick={onRemove}>
            Remove group
          </Button>
        )}
      </Group>
      {group.conditions.map((c, i) =>
        c.kind === 'group' ? (
          <Card key={c.key} withBorder component="section" aria-label={`Group ${i + 1}`} bg="gray.0">
            <GroupEditor
              group={c}
              depth={depth + 1}
              catalog={catalog}
              readOnly={readOnly}
              errors={errors}
              paths={paths}
              onChange={(g) => set({ conditions: group.conditions.map((x) => (x.key === c.key ? g : x)) })}
              onRemove={() => set({ conditions: group.conditions.filter((x) => x.key !== c.key) })}
            />
          </Card>
        ) : (
          <ConditionEditor
            key={c.key}
            condition={c}
            index={i}
            catalog={catalog}
            readOnly={readOnly}
            error={errors.find((e) => e.path.startsWith(paths.get(c.key) ?? '\u0000'))}
            onChange={(next) => set({ conditions: group.conditions.map((x) => (x.key === c.key ? next : x)) })}
            onRemove={() => set({ conditions: group.conditions.filter((x) => x.key !== c.key) })}
          />
        ),
      )}
      {ownError && (
        <Text c="red" size="sm" role="alert">
          {ownError.message}
        </Text>
      )}
      {!readOnly && (
        <Group>
          <Button variant="light" size="xs" onClick={() => set({ conditions: [...group.conditions, newCondition('event', { event: catalog.eventNames[0] ?? '' })] })}>
            Add condition
          </Button>
          {depth < MAX_DEPTH && (
            <Button variant="light" size="xs" onClick={() => set({ conditions: [...group.conditions, newGroup('all', [newCondition('trait', { trait: catalog.traits[0]?.name ?? '' })])] })}>
              Add group
            </Button>
          )}
        </Group>
      )}
    </Stack>
  );
}

/**
 * The live size: asked 400 ms after the last edit; an edit meanwhile cancels the request in flight
 * (TanStack Query aborts its signal), and until the answer for the current rules is in, a pending
 * state is shown instead of an out-of-date number.
 */
function EstimatedSize({ entity, rules, enabled, onError }: { entity: string; rules: ReturnType<typeof toRules>; enabled: boolean; onError: (e: { path: string; message: string }[]) => void }) {
  const { api } = useSession();
  const key = JSON.stringify(rules);
  const [debounced] = useDebouncedValue(key, 400);
  const settled = debounced === key;
  const estimate = useQuery({
    queryKey: ['estimate', entity, debounced],
    queryFn: ({ signal }) => api.estimate({ entity, rules: JSON.parse(debounced) as typeof rules }, signal),
    enabled,
    retry: false,
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
  const err = estimate.error instanceof ApiError && estimate.error.status === 400 ? estimate.error : undefined;
  useEffect(() => {
    if (err && settled) onError([{ path: err.path ?? '', message: err.message }]);
    // Report each error once (onError is a new function at every render).
  }, [err, settled]);
  const pending = !settled || estimate.isFetching || estimate.isPlaceholderData;
  let text: string;
  if (!enabled) text = 'Add a condition to see the size';
  else if (pending) text = 'Estimating…';
  else if (estimate.error) text = err ? 'Fix the highlighted condition' : `Estimate failed: ${estimate.error.message}`;
  else text = `${fmtNumber(estimate.data?.count)} persons`;
  return (
    <Card withBorder>
      <Group gap="sm">
        <Text fw={600} id="estimate-label">
          Estimated size
        </Text>
        <Text role="status" aria-labelledby="estimate-label" aria-busy={pending} data-count={!pending && estimate.data ? estimate.data.count : undefined}>
          {text}
        </Text>
        {pending && enabled && <Loader size="xs" aria-hidden />}
        {!pending && estimate.data && (
          <Text c="dimmed" size="xs">
            in {Math.round(estimate.data.elapsedMs)} ms
          </Text>
        )}
      </Group>
    </Card>
  );
}

export function PreviewTable({ segmentId }: { segmentId: string }) {
  const { api } = useSession();
  const preview = useQuery({ queryKey: ['preview', segmentId], queryFn: () => api.preview(segmentId, 100) });
  const [page, setPage] = useState(0);
  if (preview.isPending) return <Text role="status">Loading members…</Text>;
  if (preview.error) return <Alert color="red">{preview.error.message}</Alert>;
  const members = preview.data.members;
  const columns = [...new Set(members.flatMap((m) => Object.keys(m.traits)))].slice(0, 8);
  const PAGE = 20;
  const pages = Math.max(1, Math.ceil(members.length / PAGE));
  const rows = members.slice(page * PAGE, page * PAGE + PAGE);
  return (
    <Stack gap="xs">
      {preview.data.masked && <Text size="xs" c="dimmed">Identifiers are masked for your role.</Text>}
      <Table aria-label="Members" striped>
        <TableHead columns={['Person', ...columns]} />
        <Table.Tbody>
          {rows.map((m) => (
            <Table.Tr key={m.personId}>
              <Table.Td>{m.personId}</Table.Td>
              {columns.map((c) => (
                <Table.Td key={c}>{m.traits[c] === null || m.traits[c] === undefined ? '—' : String(m.traits[c])}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group gap="xs">
        <Button size="xs" variant="default" disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous page
        </Button>
        <Text size="sm">
          Page {page + 1} of {pages} ({members.length} shown{members.length === 100 ? ', the first 100' : ''})
        </Text>
        <Button size="xs" variant="default" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
          Next page
        </Button>
      </Group>
    </Stack>
  );
}

function SqlView({ segmentId }: { segmentId: string }) {
  const { api } = useSession();
  const sql = useQuery({ queryKey: ['sql', segmentId], queryFn: () => api.sql(segmentId) });
  if (sql.isPending) return <Text role="status">Compiling…</Text>;
  if (sql.error) return <Alert color="red">{sql.error.message}</Alert>;
  return (
    <Stack gap="xs">
      <Text size="xs" c="dimmed">
        {sql.data.dialect}, as of {sql.data.asOf}; parameters: {JSON.stringify(sql.data.params)}
      </Text>
      <Code block aria-label="SQL">
        {sql.data.sql}
      </Code>
    </Stack>
  );
}

export type { EntityFields };
