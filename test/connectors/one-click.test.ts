import { describe, expect, it } from 'vitest';
import { oneClickSync } from '../../src/destinations/one-click';
import { parseWorkspace } from '../../src/config/load';
import { UserInputError } from '../../src/config/errors';

const yaml = (identifiers: string, extra = '') => `
version: 1
warehouse: { type: duckdb, path: ":memory:" }
entities:
  - id: person
    table: main.persons
    primaryKey: person_id
    identifiers: { ${identifiers} }
  - id: company
    kind: account
    table: main.companies
    primaryKey: company_id
segments:
  - { id: buyers, entity: person, name: Buyers, type: everyone, alias: aud-buyers }
  - { id: firms, entity: company, name: Firms, type: everyone }
destinations:
  - { id: meta-main, type: meta, settings: { adAccountId: "1", accessToken: t } }
  - { id: gads, type: google_ads, settings: {} }
  - { id: li, type: linkedin, settings: {} }
  - { id: msads, type: microsoft_ads, settings: {} }
  - { id: tt, type: tiktok, settings: {} }
  - { id: snap, type: snapchat, settings: {} }
  - { id: pin, type: pinterest, settings: {} }
  - { id: rd, type: reddit, settings: {} }
  - { id: xa, type: x, settings: {} }
  - { id: sa, type: stackadapt, settings: {} }
  - { id: vi, type: viant, settings: {} }
${extra}`;

const ws = (identifiers: string, extra = '') => parseWorkspace(yaml(identifiers, extra)).workspace;

describe('oneClickSync', () => {
  it('mirror, daily, identifiers = accepted ∩ mapped in the platform order', async () => {
    const w = ws('phone: phone, email: email, mobileAdId: maid, externalId: person_id');
    expect(await oneClickSync(w, 'buyers', 'meta-main')).toEqual({
      id: 'buyers-meta-main',
      segment: 'buyers',
      destination: 'meta-main',
      mode: 'mirror',
      schedule: '0 6 * * *',
      identifiers: ['email', 'phone', 'mobileAdId', 'externalId'],
      maxRemovalShare: 0.5,
      removalWindowDays: 7,
      allowEmpty: false,
      ignoreExclusions: false,
      enabled: true,
    });
    // Google's CONTACT_INFO lists take neither mobile ad ids nor CRM ids.
    expect((await oneClickSync(w, 'buyers', 'gads')).identifiers).toEqual(['email', 'phone']);
  });

  it('the new platforms: what each takes of the mapped identifiers, in its order', async () => {
    const w = ws('phone: phone, email: email, mobileAdId: maid, externalId: person_id, firstName: fn, lastName: ln, countryCode: cc, postalCode: zip');
    const kinds = async (d: string) => (await oneClickSync(w, 'buyers', d)).identifiers;
    expect(await kinds('li')).toEqual(['email', 'firstName', 'lastName', 'countryCode']);
    expect(await kinds('msads')).toEqual(['email']);
    expect(await kinds('tt')).toEqual(['email', 'phone', 'mobileAdId']);
    expect(await kinds('snap')).toEqual(['email', 'phone', 'mobileAdId']);
    expect(await kinds('pin')).toEqual(['email', 'mobileAdId']);
    expect(await kinds('rd')).toEqual(['email', 'mobileAdId']);
    expect(await kinds('xa')).toEqual(['email', 'mobileAdId', 'externalId']);
    expect(await kinds('sa')).toEqual(['email', 'externalId']);
    expect(await kinds('vi')).toEqual(['email', 'phone']);
    for (const d of ['li', 'msads', 'tt', 'snap', 'pin', 'rd', 'xa', 'sa', 'vi']) expect(await oneClickSync(w, 'buyers', d)).toMatchObject({ mode: 'mirror', schedule: '0 6 * * *', maxRemovalShare: 0.5 });
    await expect(oneClickSync(ws('phone: phone'), 'buyers', 'msads')).rejects.toThrow(/maps none of the identifiers Microsoft Advertising customer lists accepts \(email\)/);
  });

  it('avoids taken sync ids', async () => {
    const w = ws('email: email', 'syncs:\n  - { id: buyers-gads, segment: buyers, destination: gads }');
    expect((await oneClickSync(w, 'buyers', 'gads')).id).toBe('buyers-gads-2');
  });

  it('refuses account entities, unknown ids and entities with nothing the platform takes', async () => {
    await expect(oneClickSync(ws('email: email'), 'firms', 'meta-main')).rejects.toThrow(/only person entities/);
    await expect(oneClickSync(ws('email: email'), 'nope', 'meta-main')).rejects.toThrow(UserInputError);
    await expect(oneClickSync(ws('email: email'), 'buyers', 'nope')).rejects.toThrow(UserInputError);
    await expect(oneClickSync(ws('mobileAdId: maid'), 'buyers', 'gads')).rejects.toThrow(/maps none of the identifiers/);
  });
});
