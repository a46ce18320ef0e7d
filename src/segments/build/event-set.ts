import type { EntityConfig } from '../../config/schema';
import type { SqlWriter } from '../sql-writer';
import type { EventMeasure, EventSetNode } from '../tree';
import { filterSql } from './filter';
import { windowPredicates, windowStart } from './window';

type Events = NonNullable<EntityConfig['events']>;

/**
 * `event`, `sessions`, `first_seen` and `last_seen` conditions: the person is (or, negated, is
 * not) among the keys of a grouped subquery over the events table. The negated form
 * (`segments/not-in-set`) includes persons without any event (n = 0), and null keys in the set
 * cannot poison it.
 */
export function eventSetSql(w: SqlWriter, events: Events, personKey: string, node: EventSetNode): string {
  const col = (c: string) => w.column('e', c);
  const ts = col(events.timestamp);
  const predicates: string[] = [];
  if (node.event !== undefined) predicates.push(`${col(events.name)} = ${w.bind(node.event)}`);
  predicates.push(...windowPredicates(w, ts, node.window));
  if (node.sessionsOnly) predicates.push(`${col(events.sessionKey!)} IS NOT NULL`);
  for (const f of node.where) predicates.push(filterSql(w, col(f.column), f));
  const having = node.measure ? measureSql(w, events, node.measure) : '';
  const set = w.render(
    'event-set',
    { table: w.dialect.quoteQualified(events.table), personKey: col(events.personKey), where: predicates.join(' AND '), having },
    { grouped: node.measure !== undefined },
  );
  return w.render(node.negated ? 'not-in-set' : 'in-set', { key: personKey, set });
}

function measureSql(w: SqlWriter, events: Events, m: EventMeasure): string {
  switch (m.kind) {
    case 'count':
      return `COUNT(*) ${m.op} ${w.bind(m.value)}`;
    case 'sessions':
      return `COUNT(DISTINCT ${w.column('e', events.sessionKey!)}) ${m.op} ${w.bind(m.value)}`;
    case 'first_seen':
      return `MIN(${w.column('e', events.timestamp)}) ${m.op} ${windowStart(w, m.since)}`;
    case 'last_seen':
      return `MAX(${w.column('e', events.timestamp)}) ${m.op} ${windowStart(w, m.since)}`;
  }
}
