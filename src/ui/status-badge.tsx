import type { CSSProperties } from 'react';
import { statusColor, statusText } from './format';

/**
 * A status as words on a tinted badge: the text is what counts (dark, readable), the tint only
 * helps. A plain element rather than Mantine's Badge: the segments list draws one per row.
 */
export function StatusBadge({ status, ...rest }: { status: string | null | undefined; role?: string; 'aria-label'?: string }) {
  const style: CSSProperties = {
    display: 'inline-block',
    padding: '1px 8px',
    borderRadius: 999,
    fontSize: 12,
    fontWeight: 700,
    lineHeight: '18px',
    whiteSpace: 'nowrap',
    color: 'var(--mantine-color-black)',
    background: `var(--mantine-color-${statusColor(status)}-light)`,
    border: `1px solid var(--mantine-color-${statusColor(status)}-outline)`,
  };
  return (
    <span style={style} {...rest}>
      {statusText(status)}
    </span>
  );
}
