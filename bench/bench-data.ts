import type { DuckDbDriver } from '../src/warehouse/duckdb/driver';

/**
 * The benches' warehouse in schema `b` of a DuckDB file: `persons` (email, country, plan, age,
 * company), `events` (page views, carts, purchases, logins over 400 days up to 2026-04-04, about
 * 1% after the benches' as-of) and `companies`, generated in SQL once and reused.
 */
export async function ensureBenchData(db: DuckDbDriver, persons: number, events: number, file: string): Promise<void> {
  const existing = await db.query<{ n: number }>(
    `select count(*)::integer as n from information_schema.tables where table_schema = 'b' and table_name in ('persons', 'events', 'companies')`,
  );
  if (existing[0]!.n === 3) return;
  const started = Date.now();
  process.stderr.write(`generating ${persons} persons and ${events} events in ${file} ...\n`);
  await db.execute(`create schema if not exists b`);
  await db.execute(`create or replace table b.companies as
    select i as company_id,
      ['saas', 'retail', 'finance', 'media', 'logistics'][1 + (hash(i) % 5)::integer] as industry,
      (hash(i * 31) % 5000)::integer as employees
    from range(1, 50001) t(i)`);
  await db.execute(`create or replace table b.persons as
    select i as person_id,
      case when hash(i * 3) % 5 = 0 then null else 'user' || i || '@example.com' end as email,
      ['US', 'GB', 'DE', 'FR', 'CA'][1 + (hash(i * 5) % 5)::integer] as country,
      ['free', 'pro', 'team', 'enterprise'][1 + (hash(i * 7) % 4)::integer] as plan,
      (18 + hash(i * 11) % 60)::integer as age,
      case when hash(i * 13) % 10 = 0 then null else 1 + (hash(i * 13) % 50000)::bigint end as company_id
    from range(1, ${persons + 1}) t(i)`);
  // About 1% of events fall after as-of; they must never count.
  await db.execute(`create or replace table b.events as
    select 1 + (hash(i) % ${persons})::bigint as person_id,
      ['page_view', 'page_view', 'page_view', 'add_to_cart', 'purchase', 'login'][1 + (hash(i * 3) % 6)::integer] as event_name,
      TIMESTAMPTZ '2026-04-04 10:00:00+00' - to_seconds((hash(i * 7) % (400 * 86400))::bigint) as occurred_at,
      'sess-' || (hash(i * 13) % ${Math.max(1, events / 4)})::bigint as session_id
    from range(0, ${events}) t(i)`);
  await db.execute(`checkpoint`);
  process.stderr.write(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
