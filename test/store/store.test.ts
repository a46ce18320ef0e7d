import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { parseWorkspace } from '../../src/config/load';
import type { SegmentConfig, SyncConfig } from '../../src/config/schema';
import { ConflictError, exportWorkspace, loadWorkspaceThroughStore, ManagedByFileError, NotFoundError, OpenRunError } from '../../src/store';
import { BASE_DEFINITIONS, isWrite, StoreFixture, storeBackends } from './support';

const backends = await storeBackends();
const ui = { name: 'marketing-bot', origin: 'test' };

const uiSegment = (id: string, extra: Partial<SegmentConfig> = {}) => ({
  id,
  entity: 'person',
  name: `UI ${id}`,
  rules: { match: 'all', conditions: [{ kind: 'segment', segment: 'vips' }] },
  ...extra,
});

describe.each(backends)('store on %s', (backend) => {
  let fx: StoreFixture;
  const fixture = () => (fx = new StoreFixture(backend));
  afterEach(() => fx.cleanup());

  describe('apply', () => {
    it('creates every object, then re-applying the same file writes nothing', async () => {
      fixture().write(BASE_DEFINITIONS);
      const statements: string[] = [];
      const store = await fx.store({ trace: (sql) => statements.push(sql) });
      const first = await fx.apply(store);
      expect(first.wrote).toBe(true);
      expect(first.lines.map((l) => `${l.action} ${l.kind} ${l.id}`)).toEqual([
        'create entity person',
        'create segment vips',
        'create segment big-co',
        'create destination out',
        'create sync vip-file',
      ]);

      statements.length = 0;
      const again = await fx.apply(store);
      expect(again.wrote).toBe(false);
      expect(again.counts).toEqual({ create: 0, update: 0, unchanged: 5, delete: 0, keep: 0 });
      expect(statements.filter(isWrite)).toEqual([]);
      expect(statements.length).toBeGreaterThan(0); // it did read

      // The path every command takes: an unchanged file is one fingerprint read and the definitions, no writes.
      statements.length = 0;
      const loaded = await loadWorkspaceThroughStore(fx.file, { trace: (sql) => statements.push(sql) });
      expect(loaded.workspace.segments.map((s) => s.id)).toEqual(['vips', 'big-co']);
      expect(statements.filter(isWrite)).toEqual([]);
    });

    it('prints what changed, bumps versions and keeps removed objects unless pruned', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      fx.write(BASE_DEFINITIONS.replace('name: VIPs', 'name: Very important').replace(/ {2}- \{id: big-co.*\n/, ''));
      const dry = await fx.apply(store, { dryRun: true });
      expect(dry.wrote).toBe(false);
      expect((await store.segments.get('vips'))!.body.name).toBe('VIPs');

      const result = await fx.apply(store);
      expect(result.lines.filter((l) => l.kind === 'segment')).toEqual([
        { action: 'update', kind: 'segment', id: 'vips', changes: ['name'] },
        { action: 'keep', kind: 'segment', id: 'big-co', changes: [] },
      ]);
      const vips = await store.segments.get('vips');
      expect(vips).toMatchObject({ version: 2, managedBy: 'file', body: { name: 'Very important' } });
      expect(await store.segments.get('big-co')).toBeDefined();

      const pruned = await fx.apply(store, { prune: true });
      expect(pruned.lines.find((l) => l.id === 'big-co')).toMatchObject({ action: 'delete' });
      expect(await store.segments.get('big-co')).toBeUndefined();
      const [entry] = await store.audit.list({ limit: 1 });
      expect(entry).toMatchObject({ actor: 'apply', action: 'delete', objectType: 'segment', objectId: 'big-co', diff: { after: null } });
    });

    it('takes over a UI object of the same id, and refuses to prune what a UI object uses', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      await store.segments.create(uiSegment('ui-seg', { rules: { match: 'all', conditions: [{ kind: 'segment', segment: 'big-co', member: true }] } }), ui);
      await store.segments.create(uiSegment('later'), ui);

      // The file now defines "later" too: it becomes file-managed.
      fx.write(BASE_DEFINITIONS.replace('destinations:', `  - {id: later, entity: person, name: From the file, type: everyone}\ndestinations:`));
      const result = await fx.apply(store);
      expect(result.lines.find((l) => l.id === 'later')).toEqual({ action: 'update', kind: 'segment', id: 'later', changes: ['name', 'type', 'rules', 'managedBy'] });
      expect(result.uiManaged).toBe(1);
      expect(await store.segments.get('later')).toMatchObject({ managedBy: 'file', version: 2 });

      // big-co leaves the file; pruning it would leave ui-seg pointing at nothing.
      fx.write(BASE_DEFINITIONS.replace(/ {2}- \{id: big-co.*\n/, ''));
      const err = await fx.apply(store, { prune: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserInputError);
      expect((err as Error).message).toMatch(/applying it would break segment "ui-seg": rules\.conditions\[0\]\.segment: unknown segment "big-co" \(managed in the UI\)/);
      expect(await store.segments.get('big-co')).toBeDefined(); // nothing was written
    });
  });

  describe('repositories', () => {
    it('creates, updates with the read version and refuses a stale one', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      const created = await store.segments.create(uiSegment('ui-seg'), ui);
      expect(created).toMatchObject({ managedBy: 'ui', version: 1, position: null });
      const updated = await store.segments.update('ui-seg', { ...created.body, status: 'paused' }, { version: 1 }, ui);
      expect(updated).toMatchObject({ version: 2, body: { status: 'paused' } });
      const stale = await store.segments.update('ui-seg', { ...created.body, status: 'active' }, { version: 1 }, ui).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConflictError);
      expect(stale).toMatchObject({ code: 'conflict', currentVersion: 2 });
      expect(await store.segments.list({ status: 'paused' })).toHaveLength(1);
      // UI objects come after the file's, which keep the file's order.
      expect((await store.segments.list()).map((s) => s.id)).toEqual(['vips', 'big-co', 'ui-seg']);
      await expect(store.segments.delete('nope', {}, ui)).rejects.toBeInstanceOf(NotFoundError);
      await store.segments.delete('ui-seg', { version: 2 }, ui);
      expect(await store.segments.get('ui-seg')).toBeUndefined();
    });

    it('refuses changes to file-managed objects, naming the file', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      const vips = (await store.segments.get('vips'))!;
      const update = await store.segments.update('vips', { ...vips.body, name: 'x' }, { version: vips.version }, ui).catch((e: unknown) => e);
      expect(update).toBeInstanceOf(ManagedByFileError);
      expect((update as Error).message).toBe('segment "vips" is managed in outflow.yaml: change it there and run outflow apply');
      await expect(store.syncs.delete('vip-file', {}, ui)).rejects.toThrow(/sync "vip-file" is managed in outflow\.yaml/);
      await expect(store.segments.create({ ...vips.body }, ui)).rejects.toThrow(/segment "vips" exists \(managed in outflow\.yaml\)/);
    });

    it('checks bodies like the workspace file, with paths relative to the body', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      const bad = await store.segments
        .create(uiSegment('bad', { rules: { match: 'all', conditions: [{ kind: 'event', event: 'x', count: { op: '~', value: 1 } }] } } as never), ui)
        .catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(UserInputError);
      expect((bad as UserInputError).problems[0]!.path).toBe('rules.conditions[0].count.op');

      const dangling = await store.segments.create(uiSegment('orphan', { entity: 'account' }), ui).catch((e: unknown) => e);
      expect((dangling as UserInputError).problems).toEqual([{ path: 'entity', message: 'unknown entity "account"' }]);

      const unknownKey = await store.syncs.create({ id: 's', segment: 'vips', destination: 'out', shedule: '* * * * *' }, ui).catch((e: unknown) => e);
      expect((unknownKey as UserInputError).problems[0]).toMatchObject({ path: 'shedule', message: 'unknown key "shedule"' });

      // A UI segment used by a UI sync cannot go.
      await store.segments.create(uiSegment('ui-seg'), ui);
      await store.syncs.create({ id: 'ui-sync', segment: 'ui-seg', destination: 'out' }, ui);
      const used = await store.segments.delete('ui-seg', {}, ui).catch((e: unknown) => e);
      expect(used).toBeInstanceOf(ConflictError);
      expect((used as Error).message).toBe('cannot delete segment "ui-seg": sync "ui-sync": segment: unknown segment "ui-seg"');
    });
  });

  describe('export', () => {
    it('writes UI objects that the workspace schema accepts, with secrets as references', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      const token = `EAAB${Math.random().toString(36).slice(2)}`;
      await store.destinations.create({ id: 'meta-ui', type: 'meta', settings: { adAccountId: '42', accessToken: token } }, ui);
      await store.segments.create(uiSegment('ui-seg'), ui);
      await store.syncs.create({ id: 'ui-sync', segment: 'ui-seg', destination: 'meta-ui' }, ui);
      const result = await exportWorkspace(await store.definitions(), readFileSync(fx.file, 'utf8'));
      expect(result).toMatchObject({ exported: 3, secretVariables: ['OUTFLOW_META_UI_ACCESS_TOKEN'] });
      expect(result.yaml).not.toContain(token);
      const parsed = parseWorkspace(result.yaml, 'exported.yaml', { OUTFLOW_META_UI_ACCESS_TOKEN: token }).workspace;
      expect(parsed.segments.map((s) => s.id)).toEqual(['vips', 'big-co', 'ui-seg']);
      expect(parsed.destinations.find((d) => d.id === 'meta-ui')!.settings).toEqual({ adAccountId: '42', accessToken: token });
      expect(parsed.syncs.find((s) => s.id === 'ui-sync')).toEqual((await store.syncs.get('ui-sync'))!.body);
    });
  });

  describe('runs', () => {
    it('queues one open run per sync and records results', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      const run = await store.runs.queue('vip-file', { requestedBy: 'marketing-bot', options: { full: true } });
      expect(run).toMatchObject({ status: 'queued', options: { full: true }, version: 1 });
      const second = await store.runs.queue('vip-file').catch((e: unknown) => e);
      expect(second).toBeInstanceOf(OpenRunError);
      expect((second as OpenRunError).openRunId).toBe(run.runId);
      const done = await store.runs.update(run.runId, {
        status: 'synced',
        planned: 10,
        sent: 10,
        accepted: 8,
        rejected: 2,
        rejectedByReason: { 'no usable identifier': 2 },
        deferred: 0,
        batches: 1,
        timings: { evaluate: 12, upload: 30 },
        matchRate: 0.8,
        finishedAt: new Date().toISOString(),
      });
      expect(done).toMatchObject({ status: 'synced', rejectedByReason: { 'no usable identifier': 2 }, timings: { upload: 30 }, matchRate: 0.8, version: 2 });
      const next = await store.runs.queue('vip-file');
      expect((await store.runs.list('vip-file')).map((r) => r.runId)).toEqual([next.runId, run.runId]);
      expect(await store.runs.open('vip-file')).toMatchObject({ runId: next.runId });
    });
  });

  describe('audit log', () => {
    it('records who changed what with a before/after diff of the changed keys only', async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      const sync = await store.syncs.create({ id: 'ui-sync', segment: 'big-co', destination: 'out' }, ui);
      await store.syncs.update('ui-sync', { ...(sync.body as SyncConfig), schedule: '0 7 * * *', maxRemovalShare: 0.2 }, { version: 1 }, ui);
      const [latest, created] = await store.audit.list({ limit: 2 });
      expect(latest).toMatchObject({
        actor: 'marketing-bot',
        origin: 'test',
        action: 'update',
        objectType: 'sync',
        objectId: 'ui-sync',
        diff: { before: { schedule: '0 6 * * *', maxRemovalShare: 0.5 }, after: { schedule: '0 7 * * *', maxRemovalShare: 0.2 } },
      });
      expect(created).toMatchObject({ action: 'create', diff: { before: null, after: { id: 'ui-sync', segment: 'big-co' } } });
      expect((await store.audit.list({ before: created!.id, limit: 100 })).every((e) => e.id < created!.id)).toBe(true);
      expect((await store.audit.list({ objectType: 'segment', objectId: 'vips' })).map((e) => e.actor)).toEqual(['apply']);
      await store.audit.record(ui, [{ action: 'update', objectType: 'sync', objectId: 'vip-file', diff: { before: { enabled: true }, after: { enabled: false } } }]);
      expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ actor: 'marketing-bot', objectId: 'vip-file', diff: { after: { enabled: false } } });
    });

    it("summarises a static segment's members instead of listing person keys", async () => {
      fixture().write(BASE_DEFINITIONS);
      const store = await fx.store();
      await fx.apply(store);
      const list = await store.segments.create({ id: 'list', entity: 'person', name: 'List', type: 'static', members: ['p1', 'p2', 'p3'] }, ui);
      await store.segments.update('list', { ...list.body, members: ['p1', 'p2', 'p4', 'p5'] }, { version: 1 }, ui);
      const [entry] = await store.audit.list({ limit: 1 });
      expect(entry!.diff).toEqual({ before: { members: { count: 3 } }, after: { members: { count: 4, added: 2, removed: 1 } } });
      expect(JSON.stringify(await store.audit.list({ limit: 10 }))).not.toMatch(/"p[1-5]"/);
    });
  });
});
