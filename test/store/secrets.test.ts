import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { hashToken, roleAllows, ROLES, type Role } from '../../src/store';
import { SecretKeyring } from '../../src/store/secrets';
import { BASE_DEFINITIONS, StoreFixture, storeBackends } from './support';

const backends = await storeBackends();
const ui = { name: 'data-team', origin: 'test' };
const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

describe.each(backends)('secrets in the %s store', (backend) => {
  let fx: StoreFixture;
  afterEach(() => fx.cleanup());

  it('keeps no plaintext secret in the store, masks them on reading, resolves them for connectors', async () => {
    fx = new StoreFixture(backend);
    const uiToken = secret('ui-token');
    const fileLiteral = secret('file-literal');
    const envValue = secret('env-value');
    const env = { ...process.env, STORE_TEST_META_TOKEN: envValue };
    fx.write(
      BASE_DEFINITIONS.replace(
        'syncs:',
        `  - {id: meta-env, type: meta, settings: {adAccountId: "1", accessToken: "\${env:STORE_TEST_META_TOKEN}"}}
  - {id: meta-literal, type: meta, settings: {adAccountId: "2", accessToken: "${fileLiteral}"}}
syncs:`,
      ),
    );
    const store = await fx.store({ env });
    await fx.apply(store, { env });
    const created = await store.destinations.create({ id: 'meta-ui', type: 'meta', settings: { adAccountId: 'act_3', accessToken: uiToken } }, ui);

    const bytes = await fx.storeBytes();
    for (const plaintext of [uiToken, fileLiteral, envValue]) expect(bytes.includes(plaintext), plaintext).toBe(false);
    expect(bytes.includes('${env:STORE_TEST_META_TOKEN}')).toBe(true); // a reference is not a secret

    expect(created.body.settings).toEqual({ adAccountId: 'act_3', accessToken: { set: true } });
    expect((await store.destinations.list()).map((d) => [d.id, d.body.settings])).toEqual([
      ['out', { path: './exports' }],
      ['meta-env', { adAccountId: '1', accessToken: { set: true } }],
      ['meta-literal', { adAccountId: '2', accessToken: { set: true } }],
      ['meta-ui', { adAccountId: 'act_3', accessToken: { set: true } }],
    ]);

    const ws = await store.workspace(fx.load(env).workspace);
    expect(Object.fromEntries(ws.destinations.map((d) => [d.id, d.settings.accessToken]))).toEqual({
      out: undefined,
      'meta-env': envValue,
      'meta-literal': fileLiteral,
      'meta-ui': uiToken,
    });

    expect((await store.resolvedDestination('meta-ui'))!.settings).toEqual({ adAccountId: 'act_3', accessToken: uiToken });
    expect(await store.resolvedDestination('nope')).toBeUndefined();

    // `{"set": true}` keeps the stored secret; the audit log shows that a secret changed, never its value.
    await store.destinations.update('meta-ui', { id: 'meta-ui', type: 'meta', settings: { adAccountId: '4', accessToken: { set: true } } }, { version: 1 }, ui);
    expect((await store.workspace(fx.load(env).workspace)).destinations.find((d) => d.id === 'meta-ui')!.settings.accessToken).toBe(uiToken);
    const rotated = secret('rotated');
    await store.destinations.update('meta-ui', { id: 'meta-ui', type: 'meta', settings: { adAccountId: '4', accessToken: rotated } }, { version: 2 }, ui);
    const [rotation] = await store.audit.list({ limit: 1 });
    expect(rotation!.diff).toEqual({ before: { settings: { accessToken: { set: true } } }, after: { settings: { accessToken: { set: true } } } });
    const after = await fx.storeBytes();
    for (const plaintext of [uiToken, rotated, fileLiteral, envValue]) expect(after.includes(plaintext), plaintext).toBe(false);

    // The key file was created once, readable by its owner only.
    const keyFile = path.join(fx.dir, '.outflow', 'secret.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('checks settings against the connector, with paths relative to the body', async () => {
    fx = new StoreFixture(backend);
    fx.write(BASE_DEFINITIONS);
    const store = await fx.store();
    await fx.apply(store);
    const err = await store.destinations.create({ id: 'meta-ui', type: 'meta', settings: { adAccountId: 'abc', accessToken: 'x' } }, ui).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as UserInputError).problems[0]!.path).toBe('settings.adAccountId');
    expect((err as Error).message).not.toContain('"x"');
    const keep = await store.destinations.create({ id: 'meta-2', type: 'meta', settings: { adAccountId: '1', accessToken: { set: true } } }, ui).catch((e: unknown) => e);
    expect((keep as UserInputError).problems[0]).toMatchObject({ path: 'settings.accessToken' });
  });

  it('uses OUTFLOW_SECRET_KEY when set, and says so when it is not the key secrets were sealed with', async () => {
    fx = new StoreFixture(backend);
    fx.write(BASE_DEFINITIONS);
    const env = { ...process.env, OUTFLOW_SECRET_KEY: randomBytes(32).toString('base64') };
    const store = await fx.store({ env });
    await fx.apply(store, { env });
    await store.destinations.create({ id: 'meta-ui', type: 'meta', settings: { adAccountId: '1', accessToken: secret('t') } }, ui);
    expect(existsSync(path.join(fx.dir, '.outflow', 'secret.key'))).toBe(false);

    const other = await fx.store({ env: { ...process.env, OUTFLOW_SECRET_KEY: randomBytes(32).toString('base64') } });
    await expect(other.workspace(fx.load().workspace)).rejects.toThrow(
      /cannot decrypt the secret of destination "meta-ui" setting "accessToken": OUTFLOW_SECRET_KEY is not the key it was encrypted with/,
    );
    const short = await fx.store({ env: { ...process.env, OUTFLOW_SECRET_KEY: 'c2hvcnQ=' } });
    const err = await short.workspace(fx.load().workspace).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as UserInputError).problems[0]).toMatchObject({ path: 'OUTFLOW_SECRET_KEY', message: expect.stringContaining('got 5 bytes') });
  });
});

describe('sealed secrets', () => {
  it('are bound to their destination and setting', () => {
    const keyring = new SecretKeyring({ OUTFLOW_SECRET_KEY: randomBytes(32).toString('base64') }, '/nonexistent');
    const sealed = keyring.seal('token', 'destination "a" setting "accessToken"');
    expect(keyring.open(sealed, 'destination "a" setting "accessToken"')).toBe('token');
    expect(() => keyring.open(sealed, 'destination "b" setting "accessToken"')).toThrow(/cannot decrypt/);
    expect(keyring.seal('token', 'x')).not.toEqual(keyring.seal('token', 'x')); // a fresh IV each time
  });
});

describe.each(backends)('tokens in the %s store', (backend) => {
  let fx: StoreFixture;
  afterEach(() => fx.cleanup());

  it('stores only a hash, authorizes by it, and revokes', async () => {
    fx = new StoreFixture(backend);
    fx.write(BASE_DEFINITIONS);
    const store = await fx.store();
    const { token, role } = await store.tokens.create({ name: 'ci', role: 'data' }, ui);
    expect(token).toMatch(/^oft_[A-Za-z0-9_-]{43}$/);
    expect(role).toBe('data');
    const bytes = await fx.storeBytes();
    expect(bytes.includes(token)).toBe(false);
    expect(bytes.includes(hashToken(token))).toBe(true);

    expect(await store.authorize(token)).toEqual({ name: 'ci', role: 'data' });
    for (const bad of [undefined, '', 'oft_nope', token.slice(0, -1), `${token}x`]) expect(await store.authorize(bad)).toBeUndefined();
    expect((await store.tokens.list()).map((t) => [t.name, t.role])).toEqual([['ci', 'data']]);
    await expect(store.tokens.create({ name: 'ci', role: 'admin' }, ui)).rejects.toThrow(/a token named "ci" exists/);
    await expect(store.tokens.create({ name: 'x', role: 'root' }, ui)).rejects.toThrow(/expected one of viewer, marketer, data, admin/);

    await store.tokens.revoke('ci', ui);
    expect(await store.authorize(token)).toBeUndefined();
    await expect(store.tokens.revoke('ci', ui)).rejects.toThrow(/no token named "ci"/);
    const audit = await store.audit.list({ objectType: 'token' });
    expect(audit.map((e) => e.action)).toEqual(['delete', 'create']);
    expect(JSON.stringify(audit)).not.toContain(token);
  });
});

describe('roles', () => {
  it('are cumulative: viewer < marketer < data < admin', () => {
    const allowed = (role: Role) => ROLES.filter((needed) => roleAllows(role, needed));
    expect(allowed('viewer')).toEqual(['viewer']);
    expect(allowed('marketer')).toEqual(['viewer', 'marketer']);
    expect(allowed('data')).toEqual(['viewer', 'marketer', 'data']);
    expect(allowed('admin')).toEqual(['viewer', 'marketer', 'data', 'admin']);
  });
});
