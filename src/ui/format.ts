/** Display helpers shared by the pages. */

export function fmtNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export function fmtPercent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}

export function fmtDuration(from: string | null, to: string | null): string {
  if (!from || !to) return '—';
  const ms = Date.parse(to) - Date.parse(from);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A run or sync state as words: `needs_confirmation` reads "needs confirmation". */
export function statusText(status: string | null | undefined): string {
  return status ? status.replace(/_/g, ' ') : 'not connected';
}

/** Badge colours: status is also always written out, never colour alone. */
export function statusColor(status: string | null | undefined): string {
  switch (status) {
    case 'synced':
    case 'active':
      return 'green';
    case 'failed':
      return 'red';
    case 'needs_confirmation':
    case 'paused':
      return 'orange';
    case 'queued':
    case 'syncing':
      return 'blue';
    default:
      return 'gray';
  }
}

/** `recent-buyers` from "Recent buyers!" (a new segment's id). */
export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return s || 'segment';
}
