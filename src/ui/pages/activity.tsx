import { Alert, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../session';
import { RunsTable } from './segment';

/** `/activity`: recent runs across every sync. */
export function ActivityPage() {
  const { api } = useSession();
  const runs = useQuery({ queryKey: ['runs'], queryFn: () => api.runs(100), refetchInterval: 5_000 });
  return (
    <Stack>
      <Title order={1}>Activity</Title>
      {runs.isPending && <Text role="status">Loading runs…</Text>}
      {runs.error && <Alert color="red">{runs.error.message}</Alert>}
      {runs.data && <RunsTable runs={runs.data} />}
    </Stack>
  );
}
