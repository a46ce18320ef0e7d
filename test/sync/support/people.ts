import type { WarehouseDriver } from '../../../src/warehouse/driver';

export interface Person {
  id: string;
  email: string | null;
  phone?: string | null;
  vip: boolean;
}

/** Creates `<schema>.persons` holding `people` (values bound, in chunks). */
export async function createPeople(w: WarehouseDriver, schema: string, people: readonly Person[]): Promise<void> {
  await w.execute(`create table ${schema}.persons (person_id text, email text, phone text, vip boolean)`);
  await insertPeople(w, schema, people);
}

export async function insertPeople(w: WarehouseDriver, schema: string, people: readonly Person[]): Promise<void> {
  for (let i = 0; i < people.length; i += 200) {
    const chunk = people.slice(i, i + 200);
    const values = chunk.map((_, j) => `(${[0, 1, 2, 3].map((k) => w.dialect.placeholder(j * 4 + k)).join(', ')})`);
    await w.execute(
      `insert into ${schema}.persons (person_id, email, phone, vip) values ${values.join(', ')}`,
      chunk.flatMap((p) => [p.id, p.email, p.phone ?? null, p.vip]),
    );
  }
}

export function people(n: number, vip: (i: number) => boolean = () => true): Person[] {
  return Array.from({ length: n }, (_, i) => ({ id: `p${String(i).padStart(4, '0')}`, email: `user${i}@example.com`, vip: vip(i) }));
}

/** The workspace body of a VIP-people segment synced to destination `dest`. */
export function vipWorkspace(schema: string, o: { mode?: 'mirror' | 'add_only'; extraSync?: string; destination?: string } = {}): string {
  return `entities:
  - id: person
    sql: "select * from ${schema}.persons where vip"
    primaryKey: person_id
    identifiers: {email: email, phone: phone}
segments:
  - {id: vips, entity: person, name: VIPs, type: everyone, alias: vip-people}
destinations:
  - ${o.destination ?? '{id: mem, type: file, settings: {path: ./unused}}'}
syncs:
  - {id: vip-sync, segment: vips, destination: mem, mode: ${o.mode ?? 'mirror'}${o.extraSync ?? ''}}
`;
}
