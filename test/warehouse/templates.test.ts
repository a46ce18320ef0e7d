import { describe, expect, it } from 'vitest';
import { renderSql } from '../../src/warehouse/templates';

describe('SQL templates', () => {
  it('renders a base template with quoted identifiers and placeholders, never escaping', () => {
    expect(renderSql('duckdb', 'common/select-one', { placeholder: '$1', column: '"a<b"' })).toBe('select $1 as "a<b"');
  });
  it('fails loudly on a missing template', () => {
    expect(() => renderSql('duckdb', 'nope', {})).toThrow(/no SQL template "nope"/);
  });
});
