import type { SqlValue, WarehouseDriver } from '../warehouse/driver';
import {
  CATEGORIES,
  CITIES,
  COMPANY_SUFFIXES,
  COMPANY_WORDS,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  INDUSTRIES,
  LAST_NAMES,
  PAGES,
  PLANS,
  UTM_SOURCES,
} from './lookups';

/**
 * Bumped whenever the generated data changes shape or values, so a demo warehouse built by an
 * older generator is rebuilt rather than reused.
 */
export const GENERATOR_VERSION = 2;

/** Events reach back this far before the anchor. */
const HISTORY_DAYS = 540;
const DAY_SECONDS = 86_400;
/** Persons per events batch; batches keep memory flat and let the progress bar move. */
const MAX_BATCH = 500_000;
const MIN_BATCHES = 4;

export interface DemoDataOptions {
  /** Number of persons to generate. */
  persons: number;
  /** The same seed (with the same persons and anchor) gives the same rows, byte for byte. */
  seed: number;
  /** Every timestamp is at or before this instant; histories reach back about 18 months from it. */
  anchor: Date;
  /** Called before each generation step, e.g. to move a progress bar. */
  onStep?: (step: GenerationStep) => void;
}

export interface GenerationStep {
  /** 0-based index of the step about to run. */
  index: number;
  total: number;
  name: string;
}

export interface DemoDataSummary {
  persons: number;
  companies: number;
  events: number;
}

/** What the demo warehouse was built from; kept in `main.demo_info` to decide whether to reuse it. */
export interface DemoInfo {
  generatorVersion: number;
  seed: number;
  persons: number;
  anchor: Date;
}

/**
 * Generates the demo warehouse inside DuckDB: `main.companies`, `main.persons`, `main.events`
 * and `main.demo_info`. Every value is a hash of (seed, row number, field), computed by the
 * engine, so Node never holds rows and ten million persons need no more memory than a thousand.
 *
 * Persons are generated after their events so `lifetime_value` can be the sum of their purchases.
 * Existing tables of the same names are replaced.
 *
 * @example
 * const wh = await DuckDbDriver.open({ path: 'demo.duckdb' });
 * await generateDemoData(wh, { persons: 100_000, seed: 1, anchor: new Date('2026-01-01T00:00:00Z') });
 */
export async function generateDemoData(wh: WarehouseDriver, options: DemoDataOptions): Promise<DemoDataSummary> {
  const { persons, seed } = options;
  if (!Number.isInteger(persons) || persons < 1) throw new RangeError(`persons must be a positive integer, got ${persons}`);
  const anchor = Math.floor(options.anchor.getTime() / 1000);
  const companies = Math.max(20, Math.ceil(persons / 40));
  const batches = Math.max(MIN_BATCHES, Math.ceil(persons / MAX_BATCH));
  const batchSize = Math.ceil(persons / batches);

  const steps: { name: string; run: () => Promise<unknown> }[] = [
    { name: 'lookups', run: () => createHelpers(wh) },
    { name: 'companies', run: () => createCompanies(wh, seed, companies) },
  ];
  for (let b = 0; b < batches; b++) {
    const lo = 1 + b * batchSize;
    const hi = Math.min(persons, lo + batchSize - 1) + 1;
    if (lo >= hi) break;
    steps.push({ name: `events ${b + 1}/${batches}`, run: () => insertEvents(wh, seed, anchor, lo, hi, b === 0) });
  }
  steps.push({ name: 'persons', run: () => createPersons(wh, seed, anchor, persons, companies) });
  steps.push({ name: 'finish', run: () => writeInfo(wh, { generatorVersion: GENERATOR_VERSION, seed, persons, anchor: options.anchor }) });

  for (const [index, step] of steps.entries()) {
    options.onStep?.({ index, total: steps.length, name: step.name });
    await step.run();
  }
  const [counts] = await wh.query<{ events: number }>('select count(*)::bigint as events from main.events');
  return { persons, companies, events: Number(counts!.events) };
}

/** Reads `main.demo_info`, or undefined when the database holds no (readable) demo. */
export async function readDemoInfo(wh: WarehouseDriver): Promise<DemoInfo | undefined> {
  const exists = await wh.query(
    `select 1 from information_schema.tables where table_schema = 'main' and table_name = 'demo_info'`,
  );
  if (exists.length === 0) return undefined;
  const [row] = await wh.query<{ generator_version: number; seed: number; persons: number; anchor: Date }>(
    'select generator_version, seed, persons, anchor from main.demo_info',
  );
  if (!row) return undefined;
  return { generatorVersion: Number(row.generator_version), seed: Number(row.seed), persons: Number(row.persons), anchor: row.anchor };
}

/**
 * The salt of one random field: a stable number per name (32-bit FNV-1a), so every field draws
 * independent values. Numbers rather than text because DuckDB hashes them several times faster.
 */
function salt(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Numbered placeholders, so one bound value can be referenced many times in a statement. */
class Binder {
  readonly params: SqlValue[] = [];
  bind(value: SqlValue): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

async function createHelpers(wh: WarehouseDriver): Promise<void> {
  // DuckDB's multi-argument hash combines its inputs without a final mix, so consecutive keys get
  // correlated bits; hashing the combination again mixes them.
  await wh.execute(`create or replace temp macro demo_h(s, k, salt) as hash(hash(s, k, salt))`);
  // demo_u: a uniform double in [0, 1) from (seed, key, salt); 53 bits so every double is reachable.
  await wh.execute(
    `create or replace temp macro demo_u(s, k, salt) as (demo_h(s, k, salt) >> 11)::double / 9007199254740992.0`,
  );
  await wh.execute(`create or replace temp macro demo_pick(list, s, k, salt) as list[1 + floor(demo_u(s, k, salt) * len(list))::bigint]`);
  // A standard normal variate (Box-Muller) for amounts and company sizes.
  await wh.execute(
    `create or replace temp macro demo_normal(s, k, salt) as
       sqrt(-2 * ln(1 - demo_u(s, k, salt + 1))) * cos(2 * pi() * demo_u(s, k, salt + 2))`,
  );
  // `len` random digits, the first one 2-9 (subscriber numbers and the like never start with 0 or 1).
  await wh.execute(
    `create or replace temp macro demo_digits(s, k, salt, len) as
       (2 + demo_h(s, k, salt + 3) % 8)::varchar
       || lpad((demo_h(s, k, salt) % (10 ** (len - 1))::ubigint)::varchar, (len - 1)::int, '0')`,
  );
  await wh.execute(
    `create or replace temp macro demo_letter(s, k, salt) as chr(65 + (demo_h(s, k, salt) % 26)::int)`,
  );
  // The activity span of each person: everything else about a person's events derives from it.
  await wh.execute(
    `create or replace temp macro demo_activity(s, anchor, lo, hi) as table
       select pn,
              'p' || pn as person_id,
              demo_u(s, pn, ${salt('account')}) < 0.72 as has_account,
              demo_u(s, pn, ${salt('seen')}) < 0.93 as seen,
              anchor - ${HISTORY_DAYS * DAY_SECONDS} * demo_u(s, pn, ${salt('first')}) as first_s,
              first_s + (anchor - first_s) * sqrt(demo_u(s, pn, ${salt('last')})) as last_s,
              case when seen then least(60, 1 + floor(-ln(1 - demo_u(s, pn, ${salt('sessions')})) * 3.5))::int else 0 end as n_sessions,
              case when not has_account then null
                   when seen then first_s + (last_s - first_s) * 0.2 * demo_u(s, pn, ${salt('signup')})
                   else anchor - ${HISTORY_DAYS * DAY_SECONDS} * demo_u(s, pn, ${salt('signup')}) end as signup_s
       from range(lo, hi) t(pn)`,
  );
  const b = new Binder();
  await wh.execute(
    `create or replace temp table demo_city as
     select unnest(${b.bind(CITIES.map((_, i) => i + 1))}::int[]) as idx,
            unnest(${b.bind(CITIES.map((c) => c.country))}::varchar[]) as country,
            unnest(${b.bind(CITIES.map((c) => c.city))}::varchar[]) as city,
            unnest(${b.bind(CITIES.map((c) => c.areaCodes.join(',')))}::varchar[]) as area_codes,
            unnest(${b.bind(CITIES.map((c) => c.zipPrefix))}::varchar[]) as zip_prefix`,
    b.params,
  );
  await wh.execute(
    `create or replace temp table demo_country as
     select unnest($1::varchar[]) as country, unnest($2::varchar[]) as dial, unnest($3::varchar[]) as trunk,
            unnest($4::int[]) as sub_len, unnest($5::varchar[]) as mobile_prefixes, unnest($6::int[]) as mobile_len`,
    [
      COUNTRIES.map((c) => c.country),
      COUNTRIES.map((c) => c.dial),
      COUNTRIES.map((c) => c.trunk),
      COUNTRIES.map((c) => c.subscriberLength),
      COUNTRIES.map((c) => c.mobilePrefixes.join(',')),
      COUNTRIES.map((c) => c.mobileLength),
    ],
  );
}

/** City numbers (1-based), each repeated by the city's weight. */
const CITY_SLOTS = CITIES.flatMap((c, i) => Array.from({ length: c.weight }, () => i + 1));

/** Dialling facts per country: a landline is area code + `subscriberLength` digits. */
const COUNTRIES = [
  { country: 'US', dial: '1', trunk: '', subscriberLength: 7, mobilePrefixes: [] as string[], mobileLength: 0 },
  { country: 'CA', dial: '1', trunk: '', subscriberLength: 7, mobilePrefixes: [], mobileLength: 0 },
  { country: 'GB', dial: '44', trunk: '0', subscriberLength: 7, mobilePrefixes: ['74', '75', '77', '78', '79'], mobileLength: 8 },
  { country: 'DE', dial: '49', trunk: '0', subscriberLength: 8, mobilePrefixes: ['151', '160', '170', '176'], mobileLength: 8 },
  { country: 'FR', dial: '33', trunk: '0', subscriberLength: 8, mobilePrefixes: ['61', '62', '63', '64', '65', '66', '67', '68', '75', '76', '77', '78'], mobileLength: 7 },
  { country: 'AU', dial: '61', trunk: '0', subscriberLength: 8, mobilePrefixes: ['40', '41', '42', '43', '45'], mobileLength: 7 },
  { country: 'NL', dial: '31', trunk: '0', subscriberLength: 7, mobilePrefixes: ['61', '62', '63', '64', '65'], mobileLength: 7 },
  { country: 'ES', dial: '34', trunk: '', subscriberLength: 7, mobilePrefixes: ['6'], mobileLength: 8 },
  { country: 'BR', dial: '55', trunk: '0', subscriberLength: 7, mobilePrefixes: ['119'], mobileLength: 8 },
  { country: 'IN', dial: '91', trunk: '0', subscriberLength: 8, mobilePrefixes: ['98', '99', '70'], mobileLength: 8 },
];

async function createCompanies(wh: WarehouseDriver, seed: number, companies: number): Promise<void> {
  const b = new Binder();
  const s = `${b.bind(seed)}::bigint`;
  await wh.execute(
    `create or replace table main.companies as
     select c::int as company_id,
            demo_pick(${b.bind([...COMPANY_WORDS])}::varchar[], ${s}, c, ${salt('co.w1')}) || ' '
              || demo_pick(${b.bind([...COMPANY_WORDS])}::varchar[], ${s}, c, ${salt('co.w2')}) || ' '
              || demo_pick(${b.bind([...COMPANY_SUFFIXES])}::varchar[], ${s}, c, ${salt('co.sfx')}) as name,
            demo_pick(${b.bind([...INDUSTRIES])}::varchar[], ${s}, c, ${salt('co.industry')}) as industry,
            least(100000, greatest(1, round(exp(3 + 1.8 * demo_normal(${s}, c, ${salt('co.size')})))))::int as employees
     from range(1, ${b.bind(companies)}::bigint + 1) t(c)
     order by c`,
    b.params,
  );
}

/** Events of persons `lo` (inclusive) to `hi` (exclusive): sessions of page views, carts, purchases, plus signups. */
async function insertEvents(wh: WarehouseDriver, seed: number, anchor: number, lo: number, hi: number, first: boolean): Promise<void> {
  if (first) {
    await wh.execute(
      `create or replace table main.events (
         event_id bigint not null, person_id varchar not null, event_name varchar not null,
         occurred_at timestamptz not null, session_id varchar, url varchar, amount decimal(10, 2), category varchar)`,
    );
  }
  const b = new Binder();
  const s = `${b.bind(seed)}::bigint`;
  const pages = b.bind(PAGES);
  // A key per session and per event: person * 4096 + session * 64 + event; 4095 is the signup.
  await wh.execute(
    `insert into main.events
     with a as (select * from demo_activity(${s}, ${b.bind(anchor)}::bigint, ${b.bind(lo)}::bigint, ${b.bind(hi)}::bigint)),
     sessions as (
       select pn, person_id, first_s, last_s, n_sessions, unnest(range(n_sessions)) as k from a where n_sessions > 0
     ),
     timed as (
       select *, pn * 4096 + k * 64 as skey,
              -- the first session is where the person was first seen, the second their latest visit
              case when k = 0 then first_s when k = 1 then last_s
                   else first_s + (last_s - first_s) * demo_u(${s}, skey, ${salt('session.at')}) end as end_s,
              least(60, 1 + floor(-ln(1 - demo_u(${s}, skey, ${salt('session.len')})) * 2.5))::int as n_events
       from sessions
     ),
     events as (
       select person_id, skey, n_events, end_s, unnest(range(n_events)) as j from timed
     ),
     typed as (
       select *, skey + j as ekey,
              case when j = 0 then 'page_view'
                   else case when demo_u(${s}, ekey, ${salt('kind')}) < 0.72 then 'page_view'
                             when demo_u(${s}, ekey, ${salt('kind')}) < 0.93 then 'add_to_cart'
                             else 'purchase' end end as event_name,
              demo_pick(${pages}::varchar[], ${s}, ekey, ${salt('page')}) as page
       from events
     )
     select ekey as event_id,
            person_id,
            event_name,
            to_timestamp(end_s - (n_events - 1 - j) * (30 + 150 * demo_u(${s}, skey, ${salt('pace')}))) as occurred_at,
            -- a few client events lose their session; server-side purchases often carry none
            case when demo_u(${s}, ekey, ${salt('nosession')}) < (case when event_name = 'purchase' then 0.3 else 0.03 end) then null
                 else 's_' || printf('%012x', demo_h(${s}, skey, ${salt('session.id')}) % 281474976710656) end as session_id,
            case when event_name <> 'page_view' then null
                 else case page when '/products/' then page || (1 + demo_h(${s}, ekey, ${salt('product')}) % 500)
                                when '/blog/' then page || 'post-' || (1 + demo_h(${s}, ekey, ${salt('post')}) % 120)
                                else page end
                      || case when j = 0 and demo_u(${s}, skey, ${salt('utm')}) < 0.25
                              then '?utm_source=' || demo_pick(${b.bind([...UTM_SOURCES])}::varchar[], ${s}, skey, ${salt('utm.src')})
                              else '' end end as url,
            case when event_name = 'purchase'
                 then least(5000, greatest(1, exp(3.4 + 0.9 * demo_normal(${s}, ekey, ${salt('amount')}))))::decimal(10, 2) end as amount,
            case when event_name in ('purchase', 'add_to_cart')
                 then demo_pick(${b.bind([...CATEGORIES])}::varchar[], ${s}, ekey, ${salt('category')}) end as category
     from typed
     union all
     select pn * 4096 + 4095, person_id, 'signup', to_timestamp(signup_s), null, null, null, null
     from a where signup_s is not null`,
    b.params,
  );
}

async function createPersons(wh: WarehouseDriver, seed: number, anchor: number, persons: number, companies: number): Promise<void> {
  const b = new Binder();
  const s = `${b.bind(seed)}::bigint`;
  const u = (name: string) => `demo_u(${s}, pn, ${salt(name)})`;
  const firstNames = b.bind([...FIRST_NAMES]);
  const lastNames = b.bind([...LAST_NAMES]);
  await wh.execute(
    `create or replace table main.persons as
     with a as (select * from demo_activity(${s}, ${b.bind(anchor)}::bigint, 1, ${b.bind(persons)}::bigint + 1)),
     spend as (
       select event_id // 4096 as pn, sum(amount) as total from main.events where event_name = 'purchase' group by 1
     ),
     p as (
       select a.*, c.country as home_country, c.city, c.area_codes, c.zip_prefix, k.dial, k.trunk, k.sub_len,
              k.mobile_prefixes, k.mobile_len,
              demo_pick(${firstNames}::varchar[], ${s}, pn, ${salt('first_name')}) as first_clean,
              demo_pick(${lastNames}::varchar[], ${s}, pn, ${salt('last_name')}) as last_clean,
              regexp_replace(strip_accents(lower(first_clean)), '[^a-z]', '', 'g') as f,
              regexp_replace(strip_accents(lower(last_clean)), '[^a-z]', '', 'g') as l,
              case when ${u('device')} < 0.35 then 'ios' when ${u('device')} < 0.65 then 'android'
                   when ${u('device')} < 0.95 then 'desktop' else 'tablet' end as device
       from a
       join demo_city c on c.idx = demo_pick(${b.bind(CITY_SLOTS)}::int[], ${s}, pn, ${salt('city')})
       join demo_country k on k.country = c.country
     ),
     ids as (
       select *,
              -- email: almost every account has one, a few anonymous visitors left one in a form
              case when ${u('email')} < (case when has_account then 0.9 else 0.08 end) then
                case floor(${u('email.shape')} * 4)::int
                  when 0 then f || '.' || l || pn when 1 then left(f, 1) || l || pn
                  when 2 then f || '_' || pn else l || '.' || f || pn end
                || '@' || demo_pick(${b.bind(EMAIL_DOMAINS)}::varchar[], ${s}, pn, ${salt('email.domain')}) end as email_clean,
              ${u('phone')} < (case when has_account then 0.65 else 0.1 end) as has_phone,
              mobile_len > 0 and ${u('phone.mobile')} < 0.6 as is_mobile,
              case when is_mobile then demo_pick(string_split(mobile_prefixes, ','), ${s}, pn, ${salt('phone.prefix')}) || demo_digits(${s}, pn, ${salt('phone.sub')}, mobile_len)
                   else demo_pick(string_split(area_codes, ','), ${s}, pn, ${salt('phone.area')}) || demo_digits(${s}, pn, ${salt('phone.sub')}, sub_len) end as nsn,
              len(nsn) - (case when is_mobile then mobile_len else sub_len end) as area_len
       from p
     )
     select person_id,
            case when email_clean is null then null
                 when ${u('email.mess')} < 0.02 then upper(email_clean)
                 when ${u('email.mess')} < 0.05 then upper(left(email_clean, 1)) || substr(email_clean, 2)
                 when ${u('email.mess')} < 0.07 then '  ' || email_clean
                 when ${u('email.mess')} < 0.09 then email_clean || ' '
                 else email_clean end as email,
            case when not has_phone then null
                 when ${u('phone.junk')} < 0.015 then demo_pick(${b.bind(JUNK_PHONES)}::varchar[], ${s}, pn, ${salt('phone.junkval')})
                 when dial = '1' then
                   case floor(${u('phone.fmt')} * 6)::int
                     when 0 then '(' || left(nsn, 3) || ') ' || substr(nsn, 4, 3) || '-' || right(nsn, 4)
                     when 1 then left(nsn, 3) || '-' || substr(nsn, 4, 3) || '-' || right(nsn, 4)
                     when 2 then '+1 ' || left(nsn, 3) || ' ' || substr(nsn, 4, 3) || ' ' || right(nsn, 4)
                     when 3 then nsn
                     when 4 then '1-' || left(nsn, 3) || '-' || substr(nsn, 4, 3) || '-' || right(nsn, 4)
                     else '+1' || nsn end
                 else
                   case floor(${u('phone.fmt')} * 5)::int
                     when 0 then '+' || dial || ' ' || left(nsn, area_len) || ' ' || substr(nsn, area_len + 1, 4) || ' ' || substr(nsn, area_len + 5)
                     when 1 then '00' || dial || ' ' || left(nsn, area_len) || ' ' || substr(nsn, area_len + 1)
                     when 2 then trunk || left(nsn, area_len) || ' ' || substr(nsn, area_len + 1)
                     when 3 then '+' || dial || nsn
                     else '00' || dial || nsn end end as phone,
            case when ${u('first.mess')} < 0.03 then null
                 when ${u('first.mess')} < 0.07 then upper(first_clean)
                 when ${u('first.mess')} < 0.10 then lower(first_clean)
                 when ${u('first.mess')} < 0.13 then ' ' || first_clean || ' '
                 else first_clean end as first_name,
            case when ${u('last.mess')} < 0.04 then null
                 when ${u('last.mess')} < 0.08 then upper(last_clean)
                 when ${u('last.mess')} < 0.10 then last_clean || '  '
                 else last_clean end as last_name,
            case when ${u('zip')} < 0.07 then null
                 else case home_country
                   when 'US' then case when ${u('zip.mess')} < 0.3 and zip_prefix like '0%' then ltrim(zip_prefix, '0') else zip_prefix end
                                  || lpad((demo_h(${s}, pn, ${salt('zip')}) % 100)::varchar, 2, '0')
                                  || case when ${u('zip.plus4')} < 0.1 then '-' || lpad((demo_h(${s}, pn, ${salt('zip4')}) % 10000)::varchar, 4, '0') else '' end
                   when 'GB' then case when ${u('zip.mess')} < 0.1 then lower(zip_prefix) else zip_prefix end
                                  || case when ${u('zip.mess')} between 0.1 and 0.2 then '' else ' ' end
                                  || (1 + demo_h(${s}, pn, ${salt('zip')}) % 9) || demo_letter(${s}, pn, ${salt('zip.a')}) || demo_letter(${s}, pn, ${salt('zip.b')})
                   when 'CA' then zip_prefix || ' ' || (demo_h(${s}, pn, ${salt('zip')}) % 10) || demo_letter(${s}, pn, ${salt('zip.a')}) || (demo_h(${s}, pn, ${salt('zip.c')}) % 10)
                   when 'NL' then zip_prefix || lpad((demo_h(${s}, pn, ${salt('zip')}) % 100)::varchar, 2, '0') || ' ' || demo_letter(${s}, pn, ${salt('zip.a')}) || demo_letter(${s}, pn, ${salt('zip.b')})
                   when 'BR' then zip_prefix || lpad((demo_h(${s}, pn, ${salt('zip')}) % 1000)::varchar, 3, '0') || '-' || lpad((demo_h(${s}, pn, ${salt('zip.c')}) % 1000)::varchar, 3, '0')
                   else zip_prefix || lpad((demo_h(${s}, pn, ${salt('zip')}) % (10 ** (5 - len(zip_prefix)))::ubigint)::varchar, (5 - len(zip_prefix))::int, '0')
                        || case when home_country = 'IN' then (demo_h(${s}, pn, ${salt('zip.c')}) % 10)::varchar else '' end
                 end end as zip,
            city,
            case when ${u('country')} < 0.03 then null
                 when ${u('country')} < 0.05 then lower(home_country)
                 else home_country end as country,
            case when device = 'desktop' or ${u('maid')} < 0.2 then null
                 when device in ('ios', 'tablet') and ${u('maid.lat')} < 0.03 then '00000000-0000-0000-0000-000000000000'
                 else (case when device in ('ios', 'tablet') then upper(maid_raw) else maid_raw end) end as maid,
            case when has_account then demo_pick(${b.bind(PLANS)}::varchar[], ${s}, pn, ${salt('plan')}) end as plan,
            device,
            case device
              when 'ios' then case when ${u('browser')} < 0.85 then 'Safari' else 'Chrome' end
              when 'tablet' then 'Safari'
              when 'android' then case when ${u('browser')} < 0.75 then 'Chrome' when ${u('browser')} < 0.95 then 'Samsung Internet' else 'Firefox' end
              else case when ${u('browser')} < 0.6 then 'Chrome' when ${u('browser')} < 0.75 then 'Safari'
                        when ${u('browser')} < 0.9 then 'Edge' else 'Firefox' end end as browser,
            coalesce(spend.total, 0)::decimal(12, 2) as lifetime_value,
            case when signup_s is not null then '1970-01-01'::date + floor(signup_s / ${DAY_SECONDS})::int end as signup_date,
            case when signup_s is not null then to_timestamp(signup_s) end as signed_up_at,
            has_account as is_identified,
            case when not has_account or ${u('company')} >= 0.6 then null
                 -- a few point at companies that are not in the companies table, as stale CRM data does
                 when ${u('company.dangling')} < 0.02 then ${b.bind(companies)}::int + 1 + (demo_h(${s}, pn, ${salt('company.id')}) % 1000)::int
                 else 1 + (demo_h(${s}, pn, ${salt('company.id')}) % ${b.bind(companies)}::bigint)::int end as company_id
     from (
       select *, printf('%08x-%04x-4%03x-%04x-%012x',
                        demo_h(${s}, pn, ${salt('maid.1')}) % 4294967296, demo_h(${s}, pn, ${salt('maid.2')}) % 65536, demo_h(${s}, pn, ${salt('maid.3')}) % 4096,
                        32768 + demo_h(${s}, pn, ${salt('maid.4')}) % 16384, demo_h(${s}, pn, ${salt('maid.5')}) % 281474976710656) as maid_raw
       from ids
     ) x
     left join spend using (pn)
     order by pn`,
    b.params,
  );
}

/** Values people type into a phone field when they do not want to give one. */
const JUNK_PHONES = ['n/a', '000-000-0000', '123', 'none', '555-0100', '+1 (000) 000-0000'];

async function writeInfo(wh: WarehouseDriver, info: DemoInfo): Promise<void> {
  await wh.execute(
    `create or replace table main.demo_info as
     select $1::int as generator_version, $2::bigint as seed, $3::bigint as persons, $4::timestamptz as anchor`,
    [info.generatorVersion, info.seed, info.persons, info.anchor],
  );
}
