import { Badge, type BadgeProps } from '@mantine/core';
import { statusColor, statusText } from './format';

/** A status as words on a tinted badge: the text is what counts (dark, readable), the tint only helps. */
export function StatusBadge({ status, ...rest }: { status: string | null | undefined } & Omit<BadgeProps, 'color' | 'children'> & { role?: string; 'aria-label'?: string }) {
  return (
    <Badge color={statusColor(status)} variant="light" styles={{ label: { color: 'var(--mantine-color-black)' } }} {...rest}>
      {statusText(status)}
    </Badge>
  );
}
