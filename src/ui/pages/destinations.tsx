import { Alert, Badge, Button, Card, Checkbox, Group, Modal, NativeSelect, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, type Connector, type Destination, type JsonSchema } from '../api';
import { useSession } from '../session';
import { TableHead } from '../table-head';

/** `/destinations` (data role): connections with their health; connect one through its settings schema. */
export function DestinationsPage() {
  const { api } = useSession();
  const [connecting, setConnecting] = useState(false);
  const list = useQuery({ queryKey: ['destinations'], queryFn: () => api.destinations() });
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => api.connectors(), staleTime: Infinity });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Destinations</Title>
        <Button onClick={() => setConnecting(true)} disabled={!connectors.data}>
          Connect destination
        </Button>
      </Group>
      {list.isPending && <Text role="status">Loading…</Text>}
      {list.error && <Alert color="red">{list.error.message}</Alert>}
      {list.data && (
        <Table aria-label="Destinations" striped>
          <TableHead columns={['Id', 'Platform', 'Managed by', 'Health']} />
          <Table.Tbody>
            {list.data.map((d) => (
              <DestinationRow key={d.id} d={d} title={connectors.data?.find((c) => c.type === d.type)?.title ?? d.type} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={connecting} onClose={() => setConnecting(false)} title="Connect destination" size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
        {connectors.data && <ConnectForm connectors={connectors.data} onDone={() => setConnecting(false)} />}
      </Modal>
    </Stack>
  );
}

function DestinationRow({ d, title }: { d: Destination; title: string }) {
  const { api } = useSession();
  const test = useMutation({ mutationFn: () => api.testDestination(d.id) });
  return (
    <Table.Tr>
      <Table.Td>{d.id}</Table.Td>
      <Table.Td>{title}</Table.Td>
      <Table.Td>{d.managedBy === 'file' ? 'outflow.yaml' : 'UI'}</Table.Td>
      <Table.Td>
        <Group gap="xs">
          <Button size="xs" variant="default" loading={test.isPending} onClick={() => test.mutate()} aria-label={`Test connection ${d.id}`}>
            Test connection
          </Button>
          {test.data && (
            <Badge color={test.data.ok ? 'green' : 'red'} variant="light" role="status" styles={{ label: { color: 'var(--mantine-color-black)' } }}>
              {test.data.ok ? `healthy (${test.data.elapsedMs} ms)` : `failed: ${test.data.kind ?? ''} ${test.data.message ?? ''}`}
            </Badge>
          )}
          {test.error && (
            <Text c="red" size="sm" role="alert">
              {test.error.message}
            </Text>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/** The fields of a connector's settings, read from its JSON schema; secrets are password fields. */
function settingFields(c: Connector): { name: string; schema: JsonSchema; required: boolean; secret: boolean }[] {
  const props = c.settingsSchema.properties ?? {};
  const required = new Set(c.settingsSchema.required ?? []);
  return Object.entries(props)
    .map(([name, schema]) => ({ name, schema, required: required.has(name), secret: c.secretSettings.includes(name) }))
    .sort((a, b) => Number(b.required) - Number(a.required));
}

function typeOf(s: JsonSchema): string | undefined {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  return t ?? s.anyOf?.map(typeOf).find((x) => x !== undefined && x !== 'null');
}

function ConnectForm({ connectors, onDone }: { connectors: Connector[]; onDone: () => void }) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const [type, setType] = useState(connectors.find((c) => c.type === 'meta')?.type ?? connectors[0]!.type);
  const [id, setId] = useState('');
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [error, setError] = useState<ApiError | Error | undefined>();
  const [busy, setBusy] = useState(false);
  const connector = connectors.find((c) => c.type === type)!;
  const fields = settingFields(connector).filter((f) => typeOf(f.schema) !== 'object' && typeOf(f.schema) !== 'array');
  const pathError = (p: string) => (error instanceof ApiError && error.path === p ? error.message : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const settings: Record<string, unknown> = {};
    for (const f of fields) {
      const v = values[f.name];
      if (v === undefined || v === '') continue;
      const t = typeOf(f.schema);
      settings[f.name] = t === 'number' || t === 'integer' ? Number(v) : v;
    }
    try {
      await api.createDestination({ id, type, settings });
      await queryClient.invalidateQueries({ queryKey: ['destinations'] });
      onDone();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)}>
      <Stack>
        <NativeSelect label="Platform" value={type} onChange={(e) => { setType(e.currentTarget.value); setValues({}); }} data={connectors.map((c) => ({ value: c.type, label: c.title }))} />
        <TextInput label="Id" description="Lowercase letters, digits, - and _" value={id} onChange={(e) => setId(e.currentTarget.value)} required error={pathError('id')} />
        <Card withBorder>
          <Stack gap="xs">
            {fields.map((f) => {
              const label = f.name;
              const common = { label, description: f.schema.description, required: f.required, error: pathError(`settings.${f.name}`) };
              if (f.secret)
                return <PasswordInput key={f.name} {...common} autoComplete="new-password" value={String(values[f.name] ?? '')} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })} />;
              if (typeOf(f.schema) === 'boolean')
                return <Checkbox key={f.name} label={label} checked={values[f.name] === true} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.checked })} />;
              if (f.schema.enum)
                return (
                  <NativeSelect key={f.name} {...common} value={String(values[f.name] ?? '')} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })} data={['', ...f.schema.enum.map(String)]} />
                );
              return (
                <TextInput
                  key={f.name}
                  {...common}
                  type={typeOf(f.schema) === 'number' || typeOf(f.schema) === 'integer' ? 'number' : 'text'}
                  value={String(values[f.name] ?? '')}
                  onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
                />
              );
            })}
          </Stack>
        </Card>
        {error && !(error instanceof ApiError && (error.path === 'id' || error.path?.startsWith('settings.'))) && (
          <Alert color="red" role="alert">
            {error instanceof ApiError && error.path ? `${error.path}: ` : ''}
            {error.message}
          </Alert>
        )}
        <Text size="xs" c="dimmed">
          Secrets are stored encrypted and never shown again.
        </Text>
        <Group justify="end">
          <Button type="submit" loading={busy}>
            Connect
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
