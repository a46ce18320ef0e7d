import type { SqlDialect } from './dialect';
import type { CompiledQuery, SqlValue } from './driver';

// Values are marked in the text while it is assembled and numbered at the end, in the order the
// final text shows them: a template may reorder its arguments (Snowflake's DATEADD puts the amount
// before the timestamp), and positional `?` binds must follow the text.
const MARK = '\u0001';
const MARKER = new RegExp(`${MARK}(\\d+)${MARK}`, 'g');

/**
 * Collects the values of one statement while its text is assembled, and numbers the placeholders
 * last, in the dialect's form and in reading order, as kysely compiles. The segment compiler and
 * the state SQL both bind through it; values only ever enter SQL text as placeholders.
 *
 * `leading` are the values of an already compiled query that the text embeds before any marker
 * (the segment query inside the diff statement): placeholders continue after them.
 *
 * @example
 * const b = new Binder(dialect);
 * const text = `select * from t where a = ${b.bind(7)} or b = ${b.bind('x')}`;
 * b.finish(text); // { sql: 'select * from t where a = $1 or b = $2', params: [7, 'x'] } on PostgreSQL
 */
export class Binder {
  readonly #values: SqlValue[] = [];
  readonly #leading: readonly SqlValue[];
  readonly #offset: number;

  constructor(
    readonly dialect: SqlDialect,
    options: { leading?: readonly SqlValue[]; offset?: number } = {},
  ) {
    this.#leading = options.leading ?? [];
    this.#offset = options.offset ?? this.#leading.length;
  }

  /** Binds `value`; returns a marker that `finish` turns into the dialect's placeholder. */
  bind(value: SqlValue): string {
    this.#values.push(value);
    return `${MARK}${this.#values.length - 1}${MARK}`;
  }

  /** Binds every value of `values`: the markers under the same names, ready as a template's context. */
  bindAll<K extends string>(values: Readonly<Record<K, SqlValue>>): Record<K, string> {
    return Object.fromEntries(Object.entries<SqlValue>(values).map(([k, v]) => [k, this.bind(v)])) as Record<K, string>;
  }

  /**
   * Numbers the placeholders of `text` in reading order. A value that appears twice is bound
   * twice where placeholders are positional (`?`), and bound once and referenced twice where
   * they are numbered (`$1`).
   */
  finish(text: string): CompiledQuery {
    const params: SqlValue[] = [];
    const numbered = this.dialect.placeholder(0) !== this.dialect.placeholder(1);
    const seen = new Map<string, string>();
    const sql = text.replace(MARKER, (_, i: string) => {
      const again = numbered ? seen.get(i) : undefined;
      if (again !== undefined) return again;
      params.push(this.#values[Number(i)]!);
      const placeholder = this.dialect.placeholder(this.#offset + params.length - 1);
      seen.set(i, placeholder);
      return placeholder;
    });
    return { sql, params: [...this.#leading, ...params] };
  }

  /**
   * For display only (`segments sql --inline`): the text with every value written as the
   * dialect's literal, to paste into a warehouse console. Outflow itself never runs this form.
   */
  finishInline(text: string): CompiledQuery {
    return { sql: text.replace(MARKER, (_, i: string) => this.dialect.literal(this.#values[Number(i)]!)), params: [...this.#leading] };
  }
}
