import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkspaceThroughStore } from '../../src/store';
import { BASE_DEFINITIONS, StoreFixture } from './support';

const split = (a: number, b: number, c?: number) => `
  - id: exp
    entity: person
    name: Experiment
    type: everyone
    splits:
      - {name: a, percent: ${a}, syncs: [exp-file]}
      - {name: b, percent: ${b}}${c === undefined ? '' : `\n      - {name: c, percent: ${c}}`}
`;
const withSplit = (a: number, b: number, c?: number) =>
  BASE_DEFINITIONS.replace('destinations:', `${split(a, b, c).trimStart().replace(/^/, '  ')}destinations:`).replace(
    'syncs:\n',
    'syncs:\n  - {id: exp-file, segment: exp, destination: out}\n',
  );

describe('a split segment applied from the workspace file', () => {
  let fx: StoreFixture;
  afterEach(() => fx.cleanup());

  it('is stored with its buckets, unchanged by applying the same file, rebalanced when the percentages change, and read back by every command', async () => {
    fx = new StoreFixture('sqlite');
    fx.write(withSplit(50, 50));
    const store = await fx.store();
    await fx.apply(store);
    const buckets = async () => (await store.segments.get('exp'))!.body.splits!.map((g) => g.buckets);
    expect(await buckets()).toEqual([[[0, 4999]], [[5000, 9999]]]);
    const again = await fx.apply(store);
    expect(again.lines.find((l) => l.id === 'exp')).toMatchObject({ action: 'unchanged' });

    fx.write(withSplit(40, 40, 20));
    const changed = await fx.apply(store);
    expect(changed.lines.find((l) => l.id === 'exp')).toEqual({ action: 'update', kind: 'segment', id: 'exp', changes: ['splits'] });
    expect(await buckets()).toEqual([[[0, 3999]], [[5000, 8999]], [[4000, 4999], [9000, 9999]]]);
    // Every command reads the segment from the store, with the buckets the syncs and refreshes use.
    const loaded = await loadWorkspaceThroughStore(fx.file);
    expect(loaded.workspace.segments.find((s) => s.id === 'exp')!.splits![2]!.buckets).toEqual([[4000, 4999], [9000, 9999]]);
  });
});
