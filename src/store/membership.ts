import type { Knex } from 'knex';
import type { MembershipChanges } from '../state/membership-changes';
import type { LightDb } from './connection';

/** `GET /persons/{id}/segments`: the segments a person is in, and the as-of of the latest refresh. */
export interface PersonSegments {
  personId: string;
  segments: string[];
  /** The person's group in each split segment they are in (docs/segments.md "Splits and holdouts"). */
  groups: Record<string, string>;
  /** As-of of the latest refresh the store took in (ISO-8601), null before the first one. */
  asOf: string | null;
}

/** The refresh of a segment the store last took in (`membership_refreshes`). */
export interface MembershipRefresh {
  segmentId: string;
  asOf: string;
  evaluatedAt: string;
  memberCount: number;
  added: number;
  removed: number;
}

interface RefreshRow {
  segment_id: string;
  as_of: string;
  evaluated_at: string;
  member_count: number | string;
  added: number | string;
  removed: number | string;
}

/** Rows per statement: SQLite binds at most 32,766 values, and a short statement keeps locks short. */
const CHUNK = 500;

/**
 * The store's copy of segment membership, for lookups that must not wait on the warehouse
 * (feature flags, experiments). Each refresh feeds it with its changes only (`take`), read from
 * the warehouse in pages: the work is proportional to churn, never to the segment's size. A copy
 * found out of step with the warehouse (a refresh the store missed, e.g. one whose process died
 * between the warehouse's commit and the store's) is rebuilt from the segment's members.
 *
 * @example
 * await refreshSegment({ warehouse, workspace, onChanges: (c) => store.membership.take(c) }, 'vips', asOf);
 * await store.membership.segmentsOf('p-42'); // { personId: 'p-42', segments: ['vips', 'checkout-test'], groups: { 'checkout-test': 'treatment' }, asOf: '...' }
 */
export class MembershipRepository {
  readonly #knex: () => Promise<Knex>;
  readonly #light: () => Promise<LightDb>;

  constructor(knex: () => Promise<Knex>, light: () => Promise<LightDb>) {
    this.#knex = knex;
    this.#light = light;
  }

  /** One indexed read through the bare driver, and the latest as-of. */
  async segmentsOf(personId: string): Promise<PersonSegments> {
    const db = await this.#light();
    const rows = await db.all<{ segment_id: string; split_group: string | null; as_of: string | null }>(
      'select segment_id, split_group, (select max(as_of) from membership_refreshes) as as_of from person_segments where person_id = ? order by segment_id',
      [personId],
    );
    if (rows.length > 0) {
      const groups = Object.fromEntries(rows.filter((r) => r.split_group !== null).map((r) => [r.segment_id, r.split_group!]));
      return { personId, segments: rows.map((r) => r.segment_id), groups, asOf: rows[0]!.as_of };
    }
    const [latest] = await db.all<{ as_of: string | null }>('select max(as_of) as as_of from membership_refreshes');
    return { personId, segments: [], groups: {}, asOf: latest?.as_of ?? null };
  }

  /** The refresh of each segment the store last took in, by segment id. */
  async refreshes(): Promise<Map<string, MembershipRefresh>> {
    const rows = await (await this.#light()).all<RefreshRow>('select segment_id, as_of, evaluated_at, member_count, added, removed from membership_refreshes');
    return new Map(rows.map((r) => [r.segment_id, fromRow(r)]));
  }

  /**
   * Takes in one committed refresh: its adds and removes when the store's copy is where the
   * refresh started from (it took in the segment's previous refresh, with the same member
   * count), else every member. One transaction.
   */
  async take(changes: MembershipChanges): Promise<'changes' | 'rebuilt'> {
    const e = changes.evaluation;
    const previous = await changes.previous();
    const knex = await this.#knex();
    return knex.transaction(async (trx) => {
      const before = await trx<RefreshRow>('membership_refreshes').where({ segment_id: e.segmentId }).first();
      const inStep = before
        ? previous !== undefined && before.evaluated_at === previous.evaluatedAt.toISOString() && Number(before.member_count) === previous.memberCount
        : previous === undefined;
      if (inStep) {
        for await (const ids of changes.changes('remove')) await removeMembers(trx, e.segmentId, ids);
        for await (const ids of changes.changes('add')) await addMembers(trx, e.segmentId, ids);
      } else {
        await trx('person_segments').where({ segment_id: e.segmentId }).delete();
        for await (const ids of changes.members()) await addMembers(trx, e.segmentId, ids);
      }
      // Split groups: those set in this refresh (members who entered or moved), or all on a rebuild.
      if (changes.split) for await (const rows of changes.groups(inStep ? 'refresh' : 'all')) await setGroups(trx, e.segmentId, rows);
      else await trx('person_segments').where({ segment_id: e.segmentId }).whereNotNull('split_group').update({ split_group: null });
      const row: RefreshRow = {
        segment_id: e.segmentId,
        as_of: e.asOf.toISOString(),
        evaluated_at: e.evaluatedAt.toISOString(),
        member_count: e.memberCount,
        added: e.added,
        removed: e.removed,
      };
      await trx('membership_refreshes').insert(row).onConflict('segment_id').merge();
      return inStep ? 'changes' : 'rebuilt';
    });
  }

  /** Forgets a segment (deleted for good). */
  async forget(segmentId: string): Promise<void> {
    const knex = await this.#knex();
    await knex.transaction(async (trx) => {
      await trx('person_segments').where({ segment_id: segmentId }).delete();
      await trx('membership_refreshes').where({ segment_id: segmentId }).delete();
    });
  }
}

async function addMembers(trx: Knex.Transaction, segmentId: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = ids.slice(i, i + CHUNK).map((person_id) => ({ person_id, segment_id: segmentId }));
    await trx('person_segments').insert(rows).onConflict(['person_id', 'segment_id']).ignore();
  }
}

async function removeMembers(trx: Knex.Transaction, segmentId: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK)
    await trx('person_segments').where({ segment_id: segmentId }).whereIn('person_id', ids.slice(i, i + CHUNK)).delete();
}

/** One statement per group and chunk: a split has few groups. */
async function setGroups(trx: Knex.Transaction, segmentId: string, rows: readonly { personId: string; group: string }[]): Promise<void> {
  const byGroup = new Map<string, string[]>();
  for (const r of rows) {
    const ids = byGroup.get(r.group);
    if (ids) ids.push(r.personId);
    else byGroup.set(r.group, [r.personId]);
  }
  for (const [group, ids] of byGroup)
    for (let i = 0; i < ids.length; i += CHUNK)
      await trx('person_segments').where({ segment_id: segmentId }).whereIn('person_id', ids.slice(i, i + CHUNK)).update({ split_group: group });
}

function fromRow(r: RefreshRow): MembershipRefresh {
  return {
    segmentId: r.segment_id,
    asOf: r.as_of,
    evaluatedAt: r.evaluated_at,
    memberCount: Number(r.member_count),
    added: Number(r.added),
    removed: Number(r.removed),
  };
}
