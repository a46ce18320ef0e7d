import { Button, Card, Group, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import type { EntityFields, SegmentListItem } from './api';
import {
  type ColumnFamily,
  CONDITION_KINDS,
  coerceValue,
  COUNT_OPS,
  type ConditionKind,
  type FilterValue,
  newCondition,
  newKey,
  opsFor,
  type RelWindow,
  TIME_UNITS,
  type UiCondition,
  type UiCount,
  type UiFilter,
  type UiWindow,
  valueShape,
} from './rule-model';
import type { ComparisonOp, FilterOp, TimeUnit } from '../segments/rule-schema';

/** What the builder offers, from `/entities/{id}/fields` and the segment list: picked, never typed. */
export interface FieldCatalog {
  traits: { name: string; family: ColumnFamily }[];
  eventNames: string[];
  eventColumns: { name: string; family: ColumnFamily }[];
  segments: { id: string; name: string }[];
}

export function catalogOf(fields: EntityFields | undefined, segments: SegmentListItem[]): FieldCatalog {
  const fam = (f: string) => f as ColumnFamily;
  return {
    traits: [
      ...(fields?.columns ?? []).map((c) => ({ name: c.name, family: fam(c.family) })),
      ...(fields?.relations ?? []).flatMap((r) => r.columns.map((c) => ({ name: `${r.name}.${c.name}`, family: fam(c.family) }))),
    ],
    eventNames: (fields?.events?.names ?? []).map((n) => n.name),
    eventColumns: (fields?.events?.columns ?? []).map((c) => ({ name: c.name, family: fam(c.family) })),
    segments: segments.map((s) => ({ id: s.id, name: s.name })),
  };
}

const OP_LABELS: Record<FilterOp, string> = {
  '=': 'is',
  '!=': 'is not',
  '>': 'greater than',
  '>=': 'at least',
  '<': 'less than',
  '<=': 'at most',
  contains: 'contains',
  not_contains: 'does not contain',
  starts_with: 'starts with',
  ends_with: 'ends with',
  in: 'is one of',
  not_in: 'is none of',
  is_set: 'is set',
  is_not_set: 'is not set',
  within_last: 'within the last',
  not_within_last: 'not within the last',
};

/** Keeps an option for a value that is not (or no longer) offered, so what is stored is never hidden. */
function withCurrent(options: string[], current: string): string[] {
  return current === '' || options.includes(current) ? options : [current, ...options];
}

interface Props {
  condition: Exclude<UiCondition, { kind: 'group' }>;
  index: number;
  catalog: FieldCatalog;
  readOnly: boolean;
  error?: { path: string; message: string } | undefined;
  onChange: (c: UiCondition) => void;
  onRemove: () => void;
}

/** One condition: its kind and the fields of that kind (SPEC §2). */
export function ConditionEditor({ condition: c, index, catalog, readOnly, error, onChange, onRemove }: Props) {
  const changeKind = (kind: ConditionKind) => {
    const fresh = newCondition(kind, { event: catalog.eventNames[0] ?? '', trait: catalog.traits[0]?.name ?? '', segment: catalog.segments[0]?.id ?? '' });
    onChange({ ...fresh, key: c.key } as UiCondition);
  };
  return (
    <Card withBorder padding="sm" component="section" aria-label={`Condition ${index + 1}`}>
      <Stack gap="xs">
        <Group align="end" wrap="wrap">
          <NativeSelect
            label="Condition type"
            value={c.kind}
            onChange={(e) => changeKind(e.currentTarget.value as ConditionKind)}
            data={CONDITION_KINDS.map((k) => ({ value: k.kind, label: k.label }))}
          />
          <Fields c={c} catalog={catalog} onChange={onChange} />
          {!readOnly && (
            <Button variant="subtle" color="red" size="xs" onClick={onRemove}>
              Remove condition
            </Button>
          )}
        </Group>
        {c.kind === 'event' && <WhereFilters c={c} catalog={catalog} readOnly={readOnly} onChange={onChange} />}
        {error && (
          <Text c="red" size="sm" role="alert">
            {error.path}: {error.message}
          </Text>
        )}
      </Stack>
    </Card>
  );
}

function Fields({ c, catalog, onChange }: { c: Props['condition']; catalog: FieldCatalog; onChange: (c: UiCondition) => void }) {
  switch (c.kind) {
    case 'event':
      return (
        <>
          <NativeSelect label="Event" value={c.event} onChange={(e) => onChange({ ...c, event: e.currentTarget.value })} data={withCurrent(catalog.eventNames, c.event)} />
          <NativeSelect
            label="Performed"
            value={c.performed ? 'did' : 'did_not'}
            onChange={(e) => onChange({ ...c, performed: e.currentTarget.value === 'did', count: e.currentTarget.value === 'did' ? c.count : null })}
            data={[
              { value: 'did', label: 'did' },
              { value: 'did_not', label: 'did not' },
            ]}
          />
          {c.performed && <CountInput count={c.count} optional onChange={(count) => onChange({ ...c, count })} />}
          <WindowInput window={c.window} onChange={(window) => onChange({ ...c, window })} />
        </>
      );
    case 'trait': {
      const family = catalog.traits.find((t) => t.name === c.trait)?.family;
      return (
        <>
          <NativeSelect
            label="Trait"
            value={c.trait}
            onChange={(e) => {
              const trait = e.currentTarget.value;
              const fam = catalog.traits.find((t) => t.name === trait)?.family;
              const op = opsFor(fam).includes(c.op) ? c.op : 'is_set';
              onChange({ ...c, trait, op, value: coerceValue(op, fam, c.value) });
            }}
            data={withCurrent(
              catalog.traits.map((t) => t.name),
              c.trait,
            )}
          />
          <FilterInputs op={c.op} value={c.value} family={family} onChange={(op, value) => onChange({ ...c, op, value })} />
        </>
      );
    }
    case 'first_seen':
    case 'last_seen':
      return (
        <>
          <NativeSelect
            label="Operator"
            value={c.op}
            onChange={(e) => onChange({ ...c, op: e.currentTarget.value as typeof c.op })}
            data={[
              { value: 'within_last', label: OP_LABELS.within_last },
              { value: 'not_within_last', label: OP_LABELS.not_within_last },
            ]}
          />
          <RelWindowInput value={c.value} onChange={(value) => onChange({ ...c, value })} />
        </>
      );
    case 'sessions':
      return (
        <>
          <CountInput count={c.count} onChange={(count) => onChange({ ...c, count: count ?? { op: '>=', value: 1 } })} />
          <WindowInput window={c.window} onChange={(window) => onChange({ ...c, window })} />
        </>
      );
    case 'identified':
      return (
        <BoolSelect label="Identified" value={c.value} yes="is identified" no="is anonymous" onChange={(value) => onChange({ ...c, value })} />
      );
    case 'segment':
      return (
        <>
          <BoolSelect label="Membership" value={c.member} yes="is in" no="is not in" onChange={(member) => onChange({ ...c, member })} />
          <NativeSelect
            label="Segment"
            value={c.segment}
            onChange={(e) => onChange({ ...c, segment: e.currentTarget.value })}
            data={withCurrent(
              catalog.segments.map((s) => s.id),
              c.segment,
            ).map((id) => ({ value: id, label: catalog.segments.find((s) => s.id === id)?.name ?? id }))}
          />
        </>
      );
  }
}

/** A yes / no choice as a select, with words for each side. */
function BoolSelect({ label, value, yes, no, onChange }: { label: string; value: boolean; yes: string; no: string; onChange: (v: boolean) => void }) {
  return (
    <NativeSelect
      label={label}
      value={String(value)}
      onChange={(e) => onChange(e.currentTarget.value === 'true')}
      data={[
        { value: 'true', label: yes },
        { value: 'false', label: no },
      ]}
    />
  );
}

function CountInput({ count, optional, onChange }: { count: UiCount | null; optional?: boolean; onChange: (c: UiCount | null) => void }) {
  return (
    <>
      <NativeSelect
        label="Count"
        value={count ? count.op : ''}
        onChange={(e) => onChange(e.currentTarget.value === '' ? null : { op: e.currentTarget.value as ComparisonOp, value: count?.value ?? 1 })}
        data={[...(optional ? [{ value: '', label: 'at least once' }] : []), ...COUNT_OPS.map((op) => ({ value: op, label: `times ${op}` }))]}
      />
      {count && (
        <TextInput
          label="Times"
          type="number"
          min={0}
          w={90}
          value={String(count.value)}
          onChange={(e) => onChange({ ...count, value: Math.max(0, Math.trunc(Number(e.currentTarget.value) || 0)) })}
        />
      )}
    </>
  );
}

function WindowInput({ window: w, onChange }: { window: UiWindow; onChange: (w: UiWindow) => void }) {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return (
    <>
      <NativeSelect
        label="When"
        value={w.type}
        onChange={(e) => {
          const t = e.currentTarget.value;
          if (t === 'ever') onChange({ type: 'ever' });
          else if (t === 'last') onChange({ type: 'last', last: 30, unit: 'day' });
          else onChange({ type: 'between', from: day(new Date(Date.now() - 30 * 86_400_000)), to: day(new Date()) });
        }}
        data={[
          { value: 'ever', label: 'ever' },
          { value: 'last', label: 'in the last' },
          { value: 'between', label: 'between dates' },
        ]}
      />
      {w.type === 'last' && <RelWindowInput value={w} onChange={(v) => onChange({ type: 'last', ...v })} />}
      {w.type === 'between' && (
        <>
          <TextInput label="From" type="date" value={w.from.slice(0, 10)} onChange={(e) => onChange({ ...w, from: e.currentTarget.value })} />
          <TextInput label="To" type="date" value={w.to.slice(0, 10)} onChange={(e) => onChange({ ...w, to: e.currentTarget.value })} />
        </>
      )}
    </>
  );
}

function RelWindowInput({ value, onChange }: { value: RelWindow; onChange: (w: RelWindow) => void }) {
  return (
    <>
      <TextInput
        label="Last"
        type="number"
        min={1}
        w={90}
        value={String(value.last)}
        onChange={(e) => onChange({ ...value, last: Math.max(1, Math.trunc(Number(e.currentTarget.value) || 1)) })}
      />
      <NativeSelect label="Unit" value={value.unit} onChange={(e) => onChange({ ...value, unit: e.currentTarget.value as TimeUnit })} data={TIME_UNITS.map((u) => ({ value: u, label: `${u}s` }))} />
    </>
  );
}

/** An operator that fits the column's type, and a value input of the shape the operator takes. */
function FilterInputs({ op, value, family, onChange }: { op: FilterOp; value: FilterValue; family: ColumnFamily | undefined; onChange: (op: FilterOp, v: FilterValue) => void }) {
  const ops = opsFor(family);
  const shape = valueShape(op);
  const scalar = (text: string): string | number | boolean => {
    if (family === 'number') return text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text);
    if (family === 'boolean') return text === 'true';
    return text;
  };
  return (
    <>
      <NativeSelect
        label="Operator"
        value={op}
        onChange={(e) => {
          const next = e.currentTarget.value as FilterOp;
          onChange(next, coerceValue(next, family, value));
        }}
        data={(ops.includes(op) ? ops : [op, ...ops]).map((o) => ({ value: o, label: OP_LABELS[o] }))}
      />
      {shape === 'window' && <RelWindowInput value={value as RelWindow} onChange={(w) => onChange(op, w)} />}
      {shape === 'list' && (
        <TextInput
          label="Values"
          description="Separated by commas"
          value={Array.isArray(value) ? value.join(', ') : ''}
          onChange={(e) =>
            onChange(
              op,
              e.currentTarget.value
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== '')
                .map(scalar),
            )
          }
        />
      )}
      {shape === 'scalar' && family === 'boolean' && (
        <NativeSelect label="Value" value={String(value)} onChange={(e) => onChange(op, e.currentTarget.value === 'true')} data={['true', 'false']} />
      )}
      {shape === 'scalar' && family !== 'boolean' && (
        <TextInput
          label="Value"
          type={family === 'number' ? 'number' : family === 'date' || family === 'timestamp' ? 'date' : 'text'}
          value={value === undefined || typeof value === 'object' ? '' : String(value)}
          onChange={(e) => onChange(op, scalar(e.currentTarget.value))}
        />
      )}
    </>
  );
}

function WhereFilters({ c, catalog, readOnly, onChange }: { c: Extract<UiCondition, { kind: 'event' }>; catalog: FieldCatalog; readOnly: boolean; onChange: (c: UiCondition) => void }) {
  const setFilter = (key: string, f: UiFilter | null) => onChange({ ...c, where: c.where.flatMap((x) => (x.key === key ? (f ? [f] : []) : [x])) });
  return (
    <Stack gap={4} pl="md">
      {c.where.map((f) => {
        const family = catalog.eventColumns.find((col) => col.name === f.column)?.family;
        return (
          <Group key={f.key} align="end" role="group" aria-label={`Where ${f.column}`}>
            <Text size="sm">where</Text>
            <NativeSelect
              label="Column"
              value={f.column}
              onChange={(e) => {
                const column = e.currentTarget.value;
                const fam = catalog.eventColumns.find((col) => col.name === column)?.family;
                const op = opsFor(fam).includes(f.op) ? f.op : 'is_set';
                setFilter(f.key, { ...f, column, op, value: coerceValue(op, fam, f.value) });
              }}
              data={withCurrent(
                catalog.eventColumns.map((col) => col.name),
                f.column,
              )}
            />
            <FilterInputs op={f.op} value={f.value} family={family} onChange={(op, value) => setFilter(f.key, { ...f, op, value })} />
            {!readOnly && (
              <Button variant="subtle" color="red" size="xs" onClick={() => setFilter(f.key, null)}>
                Remove filter
              </Button>
            )}
          </Group>
        );
      })}
      {!readOnly && catalog.eventColumns.length > 0 && (
        <Group>
          <Button
            variant="subtle"
            size="xs"
            onClick={() => onChange({ ...c, where: [...c.where, { key: newKey(), column: catalog.eventColumns[0]!.name, op: 'is_set', value: undefined }] })}
          >
            Add filter
          </Button>
        </Group>
      )}
    </Stack>
  );
}
