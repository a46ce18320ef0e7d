import { Alert, Code, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { fmtTime } from '../format';
import { useSession } from '../session';
import { TableHead } from '../table-head';

/** `/audit` (admin): who did what to which object, with the before/after diff (secrets redacted by the API). */
export function AuditPage() {
  const { api } = useSession();
  const audit = useQuery({ queryKey: ['audit'], queryFn: () => api.audit(200) });
  return (
    <Stack>
      <Title order={1}>Audit log</Title>
      {audit.isPending && <Text role="status">Loading…</Text>}
      {audit.error && <Alert color="red">{audit.error.message}</Alert>}
      {audit.data && (
        <Table aria-label="Audit log" striped>
          <TableHead columns={['When', 'Who', 'Action', 'Object', 'Change']} />
          <Table.Tbody>
            {audit.data.map((a) => (
              <Table.Tr key={a.id}>
                <Table.Td>{fmtTime(a.at)}</Table.Td>
                <Table.Td>
                  {a.actor}
                  {a.origin ? ` (${a.origin})` : ''}
                </Table.Td>
                <Table.Td>{a.action}</Table.Td>
                <Table.Td>
                  {a.objectType} {a.objectId}
                </Table.Td>
                <Table.Td>
                  <details>
                    <summary>diff</summary>
                    <Code block>{JSON.stringify(changed(a.diff.before, a.diff.after), null, 1)}</Code>
                  </details>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/** Only the fields that changed, as `{field: [before, after]}`. */
function changed(before: Record<string, unknown> | null, after: Record<string, unknown> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])) {
    const b = before?.[k];
    const a = after?.[k];
    if (JSON.stringify(a) !== JSON.stringify(b)) out[k] = [b ?? null, a ?? null];
  }
  return out;
}
