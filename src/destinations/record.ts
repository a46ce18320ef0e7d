/**
 * Records: what a destination of a classic sync (the webhook) sends per member instead of
 * identifier keys: named fields, each an entity column, a relation column (`company.industry`)
 * or a constant.
 *
 * How a record travels through a sync run: the segment query returns the mapped columns' values
 * as one text column, each value length-prefixed (`<length>:<value>`, `-` for null, joined by `|`,
 * the way the state tables join a name and address). The diff fingerprints that text in the
 * warehouse, so a member whose mapped values changed is a change of the run; the destination's
 * prepareKeys decodes it (`decodeRecordValues`) into the record it sends.
 */

/** Where a field's value comes from. */
export type FieldSource = { column: string; relation?: string } | { value: string | number | boolean | null };

/** How a classic sync sends its records. */
export type RecordMode = 'mirror' | 'add_only' | 'upsert';

/** The record a destination sends per member: field name -> source, and how changes are sent. */
export interface RecordSpec {
  fields: Readonly<Record<string, FieldSource>>;
  /**
   * `mirror`: new members and members whose mapped values changed are sent as upserts, leavers as
   * removes; `upsert`: the same without removes; `add_only`: new members only, once.
   */
  mode: RecordMode;
}

/** The fields of a record that come from columns, in the order their values are encoded (by field name). */
export function columnFields(spec: RecordSpec): { name: string; column: string; relation?: string }[] {
  return Object.keys(spec.fields)
    .sort()
    .flatMap((name) => {
      const source = spec.fields[name]!;
      return 'column' in source ? [{ name, column: source.column, ...(source.relation !== undefined ? { relation: source.relation } : {}) }] : [];
    });
}

/**
 * The values of an encoded record text, in `columnFields` order: `<length>:<value>` (length in
 * characters, i.e. code points) or `-` for null, joined by `|`. Throws on text that is not such a
 * list of exactly `count` values.
 */
export function decodeRecordValues(text: string, count: number): (string | null)[] {
  const chars = Array.from(text);
  const out: (string | null)[] = [];
  let i = 0;
  while (out.length < count) {
    if (out.length > 0) {
      if (chars[i] !== '|') throw new Error(`record text: expected "|" at character ${i}`);
      i++;
    }
    if (chars[i] === '-') {
      out.push(null);
      i++;
      continue;
    }
    let digits = '';
    while (i < chars.length && chars[i]! >= '0' && chars[i]! <= '9') digits += chars[i++];
    if (digits === '' || chars[i] !== ':') throw new Error(`record text: expected a length at character ${i}`);
    i++;
    const length = Number(digits);
    if (i + length > chars.length) throw new Error('record text: value runs past the end');
    out.push(chars.slice(i, i + length).join(''));
    i += length;
  }
  if (i !== chars.length) throw new Error(`record text: ${chars.length - i} characters left over`);
  return out;
}

/** The member's record: `{id, fields}` with the decoded column values and the constants, fields sorted by name. */
export function buildRecord(spec: RecordSpec, personId: string, values: readonly (string | null)[]): { id: string; fields: Record<string, unknown> } {
  const byName = new Map(columnFields(spec).map((f, i) => [f.name, values[i] ?? null]));
  const fields: Record<string, unknown> = {};
  for (const name of Object.keys(spec.fields).sort()) {
    const source = spec.fields[name]!;
    fields[name] = 'value' in source ? source.value : byName.get(name);
  }
  return { id: personId, fields };
}
