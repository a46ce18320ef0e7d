import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { precompiled, renderSql } from '../../src/warehouse/templates';

describe('SQL templates', () => {
  it('renders a base template with quoted identifiers and placeholders, never escaping', () => {
    expect(renderSql('duckdb', 'common/select-one', { placeholder: '$1', column: '"a<b"' })).toBe('select $1 as "a<b"');
  });
  it('fails loudly on a missing template', () => {
    expect(() => renderSql('duckdb', 'nope', {})).toThrow(/no SQL template "nope"/);
  });
});

describe('precompiled template cache', () => {
  const dir = () => mkdtempSync(path.join(tmpdir(), 'outflow-tpl-'));
  const render = (spec: string, context: object) => Handlebars.template(new Function(`return ${spec}`)() as TemplateSpecification)(context);

  it('compiles, writes a cache file named by a hash of the sources, and reads it back', () => {
    const d = dir();
    const first = precompiled('duckdb', new Map([['t', 'select {{x}}']]), d);
    const files = readdirSync(d);
    expect(files).toEqual([expect.stringMatching(/^sql-duckdb-[0-9a-f]{20}\.json$/)]);
    // A cached spec is used as it is: prove it by planting a different one under the same name.
    writeFileSync(path.join(d, files[0]!), JSON.stringify({ t: Handlebars.precompile('cached {{x}}') }));
    expect(render(precompiled('duckdb', new Map([['t', 'select {{x}}']]), d).get('t')!, { x: 1 })).toBe('cached 1');
    expect(render(first.get('t')!, { x: 1 })).toBe('select 1');
  });

  it('a changed template gets a new cache file; a corrupt one is compiled again', () => {
    const d = dir();
    precompiled('duckdb', new Map([['t', 'select {{x}}']]), d);
    const changed = precompiled('duckdb', new Map([['t', 'select {{x}} + 1']]), d);
    expect(readdirSync(d)).toHaveLength(2);
    expect(render(changed.get('t')!, { x: 1 })).toBe('select 1 + 1');
    for (const f of readdirSync(d)) writeFileSync(path.join(d, f), '{not json');
    expect(render(precompiled('duckdb', new Map([['t', 'select {{x}}']]), d).get('t')!, { x: 2 })).toBe('select 2');
  });

  it('an unwritable cache location only costs a compile', () => {
    const file = path.join(dir(), 'a-file');
    writeFileSync(file, '');
    expect(render(precompiled('postgres', new Map([['t', 'select {{x}}']]), path.join(file, 'cache')).get('t')!, { x: 3 })).toBe('select 3');
  });
});
