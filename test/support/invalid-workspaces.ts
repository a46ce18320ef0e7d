import { baseWorkspaceYaml } from './workspace';

/**
 * The malformed workspace files of test/fixtures/invalid/ (test/cli/validate.test.ts), each the
 * base workspace file (baseWorkspaceYaml) with what is wrong in it: a line saying what, then the
 * base (or a variant of it), then the rest. `npx tsx test/support/write-invalid-fixtures.ts`
 * writes them; a test keeps the committed files equal to what this builds.
 */
type Fixture = { about: string; base: Parameters<typeof baseWorkspaceYaml>[0]; tail: string } | { about: string; text: string };

/** A purchase condition inside `depth` groups (any, all, any, ...), as YAML list items at `indent`. */
function nestedGroups(depth: number, indent: string): string {
  if (depth === 0) return `${indent}- { kind: event, event: purchase }\n`;
  const match = depth % 2 === 1 ? 'any' : 'all';
  return `${indent}- kind: group\n${indent}  match: ${match}\n${indent}  conditions:\n${nestedGroups(depth - 1, `${indent}    `)}`;
}

/** The segment most fixtures start from, up to its conditions. */
const BUYERS_RULES = `segments:
  - id: buyers
    entity: person
    name: Buyers
    rules:
      conditions:
`;
/** That segment with one purchase condition. */
const BUYERS = `${BUYERS_RULES}        - { kind: event, event: purchase }
`;
/** The destination the sync fixtures send to. */
const META_MAIN = `destinations:
  - id: meta-main
    type: meta
    settings: { adAccountId: "123", accessToken: "token" }
`;

/** A sync of buyers to meta-main with `audienceName: <name>` (YAML text). */
function syncWithName(name: string): string {
  return `syncs:
  - id: buyers-meta
    segment: buyers
    destination: meta-main
    audienceName: ${name}
`;
}

const FIXTURES: Record<string, Fixture> = {
  'audience-name-health.yaml': { about: 'an audience name with a health term', base: {}, tail: `${BUYERS}${META_MAIN}${syncWithName('diabetes-patients')}` },
  'audience-name-path.yaml': { about: 'an audience name that is a path out of the export folder', base: {}, tail: `${BUYERS}${META_MAIN}${syncWithName('"a/../../b"')}` },
  'audience-name-spaces.yaml': { about: 'an audience name with spaces', base: {}, tail: `${BUYERS}${META_MAIN}${syncWithName('Recent buyers')}` },
  'audience-name-too-long.yaml': { about: 'an audience name longer than the destination takes', base: {}, tail: `${BUYERS}${META_MAIN}${syncWithName(`buyers-${'x'.repeat(65)}`)}` },
  'bad-cron.yaml': { about: 'bad cron: six fields and an hour of 25', base: {}, tail: `${BUYERS}${META_MAIN}syncs:
  - id: buyers-meta
    segment: buyers
    destination: meta-main
    schedule: "0 0 25 * * *"
` },
  'bad-enum.yaml': { about: 'bad enum: an unknown segment status', base: {}, tail: `segments:
  - id: buyers
    entity: person
    name: Buyers
    status: live
    rules:
      conditions:
        - { kind: event, event: purchase }
` },
  'bad-retention.yaml': { about: 'retentionDays that is not a whole number of days', base: {}, tail: `segments:
  - id: buyers
    entity: person
    name: Buyers
    retentionDays: 2.5
    rules:
      conditions:
        - { kind: event, event: purchase }
` },
  'bad-id.yaml': { about: 'bad id characters: spaces and capitals in a segment id', base: {}, tail: `segments:
  - id: Recent Buyers
    entity: person
    name: Recent buyers
    rules:
      conditions:
        - { kind: event, event: purchase }
` },
  'bad-yaml.yaml': { about: 'bad YAML: a flow sequence that is never closed', base: {}, tail: `segments:
  - id: buyers
    entity: person
    name: Buyers
    labels: [q4, holiday
    rules:
      conditions:
        - { kind: event, event: purchase }
` },
  'count-not-performed.yaml': { about: 'count with performed: false', base: {}, tail: `${BUYERS}  - id: browsers
    entity: person
    name: Browsers
    rules:
      conditions:
        - { kind: event, event: page_view }
  - id: no-carts
    entity: person
    name: Never added to cart
    rules:
      conditions:
        - kind: event
          event: add_to_cart
          performed: false
          count: { op: ">", value: 2 }
` },
  'dangling-entity.yaml': { about: 'dangling reference: a segment of an entity that does not exist', base: {}, tail: `segments:
  - id: buyers
    entity: account
    name: Buyers
    rules:
      conditions:
        - { kind: event, event: purchase }
` },
  'dangling-sync-destination.yaml': { about: 'dangling reference: a sync to a destination that does not exist', base: {}, tail: `${BUYERS}${META_MAIN}syncs:
  - id: buyers-meta
    segment: buyers
    destination: meta-main
  - id: buyers-google
    segment: buyers
    destination: google-main
` },
  'dangling-sync-segment.yaml': { about: 'dangling reference: a sync of a segment that does not exist', base: {}, tail: `${BUYERS}${META_MAIN}syncs:
  - id: buyers-meta
    segment: byers
    destination: meta-main
` },
  'deep-groups.yaml': { about: 'groups nested six deep (at most five)', base: {}, tail: `segments:
  - id: deep
    entity: person
    name: Deep
    rules:
      conditions:
${nestedGroups(5, '        ')}` },
  'duplicate-ids.yaml': { about: 'duplicate ids: two segments called buyers', base: {}, tail: `${BUYERS}  - id: carts
    entity: person
    name: Carts
    rules:
      conditions:
        - { kind: event, event: add_to_cart }
  - id: buyers
    entity: person
    name: Buyers again
    rules:
      conditions:
        - { kind: event, event: purchase, window: { last: 7, unit: day } }
` },
  'empty-rules.yaml': { about: 'empty rule list', base: {}, tail: `segments:
  - id: buyers
    entity: person
    name: Buyers
    rules:
      match: all
      conditions: []
` },
  'in-without-list.yaml': { about: 'in without a list', base: {}, tail: `segments:
  - id: paid
    entity: person
    name: Paid plans
    rules:
      conditions:
        - { kind: trait, trait: plan, op: in, value: pro }
` },
  'missing-env.yaml': { about: 'missing environment variable in the warehouse connection string', text: `version: 1
warehouse:
  type: postgres
  connectionString: "postgres://outflow:\${env:OUTFLOW_TEST_UNSET_PASSWORD}@localhost/analytics"
entities:
  - id: person
    table: public.persons
    primaryKey: person_id
` },
  'bad-connection-string.yaml': { about: 'a PostgreSQL connection string that is not a URL', text: `version: 1
warehouse:
  type: postgres
  connectionString: "host=localhost dbname=analytics"
entities:
  - id: person
    table: public.persons
    primaryKey: person_id
` },
  'missing-key.yaml': { about: 'missing required key: no primaryKey on the entity', base: { without: 'primaryKey' }, tail: `` },
  'not-a-mapping.yaml': { about: 'the whole file is a list instead of a mapping', text: `- version: 1
` },
  'segment-cycle.yaml': { about: 'a cycle of segment references: a -> b -> c -> a', base: {}, tail: `segments:
  - id: a
    entity: person
    name: A
    rules:
      conditions:
        - { kind: segment, segment: b }
  - id: b
    entity: person
    name: B
    rules:
      conditions:
        - { kind: event, event: purchase }
        - { kind: segment, segment: c, member: false }
  - id: c
    entity: person
    name: C
    rules:
      conditions:
        - { kind: segment, segment: a }
` },
  'split-percents.yaml': { about: 'split percents that add up to 90, not 100', base: {}, tail: `segments:
  - id: checkout-test
    entity: person
    name: Checkout test
    type: everyone
    splits:
      - { name: treatment, percent: 80 }
      - { name: holdout, percent: 10 }
` },
  'too-many-conditions.yaml': { about: 'too many conditions for the configured limit', base: { afterWarehouse: ['limits:', '  maxConditions: 3'] }, tail: `segments:
  - id: busy
    entity: person
    name: Busy
    rules:
      conditions:
        - { kind: event, event: purchase }
        - { kind: event, event: page_view }
        - kind: group
          match: any
          conditions:
            - { kind: event, event: signup }
            - { kind: event, event: add_to_cart }
` },
  'unknown-condition-kind.yaml': { about: 'unknown condition kind', base: {}, tail: `${BUYERS_RULES}        - { kind: purchase, event: purchase }
` },
  'unknown-key.yaml': { about: 'unknown key: a typo in a segment key', base: {}, tail: `${BUYERS}  - id: pro
    entity: person
    name: Pro plan
    rulez:
      conditions:
        - { kind: trait, trait: plan, op: "=", value: pro }
` },
  'wrong-type.yaml': { about: 'wrong type: a count given as text', base: {}, tail: `${BUYERS_RULES}        - kind: event
          event: purchase
          count: { op: ">=", value: "three" }
` },
};

/** File name -> file text. */
export function invalidWorkspaceFiles(): Map<string, string> {
  return new Map(Object.entries(FIXTURES).map(([name, f]) => [name, `# ${f.about}\n${'text' in f ? f.text : baseWorkspaceYaml(f.base) + f.tail}`]));
}
