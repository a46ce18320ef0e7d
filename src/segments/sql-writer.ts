import type { SqlDialect } from '../warehouse/dialect';
import type { CompiledQuery, SqlValue } from '../warehouse/driver';
import { renderSql } from '../warehouse/templates';

// Values are marked in the text while it is assembled and numbered at the end, in the order the
// final text shows them: a dialect template may reorder its arguments (Snowflake's DATEADD puts
// the amount before the timestamp), and positional `?` binds must follow the text.
const MARK = '\u0001';
const MARKER = new RegExp(`${MARK}(\\d+)${MARK}`, 'g');
// Fragments (already printed SQL) are slotted into a template's output after rendering: the
// rendered shape is cached per template and structure, and text inside a fragment (an entity's
// own `sql`, say) is never touched by the template's whitespace folding.
const SLOT = '\u0002';
const SLOTS = new RegExp(`${SLOT}(\\w+)${SLOT}`, 'g');
const shapes = new Map<string, string>();
// Shapes differ by table and column names only, so a process sees few; the bound is a backstop.
const MAX_SHAPES = 10_000;

/**
 * Collects bound parameters while SQL is printed, and renders `sql-templates/<dialect>/segments/*`
 * templates. Values only ever enter SQL text as placeholders from `bind`.
 */
export class SqlWriter {
  readonly #values: SqlValue[] = [];

  constructor(
    readonly dialect: SqlDialect,
    readonly asOf: Date,
    readonly paramOffset: number,
    /** For display only: values written as literals (`SqlDialect.literal`) instead of placeholders. */
    readonly inline = false,
  ) {}

  /** Binds `value`; returns a marker that `finish` turns into the dialect's placeholder. */
  bind(value: SqlValue): string {
    this.#values.push(value);
    return `${MARK}${this.#values.length - 1}${MARK}`;
  }

  /** The as-of instant, bound, as the dialect compares it with event times. */
  asOfParam(): string {
    return this.instant(this.asOf);
  }

  /** A bound instant as a UTC timestamp expression (`segments/instant`). */
  instant(value: Date): string {
    return this.render('instant', { param: this.bind(value) });
  }

  /** `alias.column`, the column quoted by the dialect. */
  column(alias: string, column: string): string {
    return `${alias}.${this.dialect.quoteIdentifier(column)}`;
  }

  /**
   * Renders `segments/<template>`: `fragments` are printed SQL placed as they are; `structure`
   * holds whatever the template branches or loops on (keywords, flags, lists of identifiers).
   */
  render(template: string, fragments: Readonly<Record<string, string>>, structure: object = {}): string {
    const key = `${this.dialect.name}\u0000${template}\u0000${Object.keys(fragments).join(',')}\u0000${JSON.stringify(structure)}`;
    let shape = shapes.get(key);
    if (shape === undefined) {
      const slots = Object.fromEntries(Object.keys(fragments).map((k) => [k, `${SLOT}${k}${SLOT}`]));
      shape = renderSql(this.dialect.name, `segments/${template}`, { ...structure, ...slots });
      if (shapes.size >= MAX_SHAPES) shapes.clear();
      shapes.set(key, shape);
    }
    return shape.replace(SLOTS, (_, k: string) => fragments[k]!);
  }

  /** Numbers the placeholders of `text` in reading order; a marker seen twice binds its value twice. */
  finish(text: string): CompiledQuery {
    if (this.inline) return { sql: text.replace(MARKER, (_, i: string) => this.dialect.literal(this.#values[Number(i)]!)), params: [] };
    const params: SqlValue[] = [];
    const sql = text.replace(MARKER, (_, i: string) => {
      params.push(this.#values[Number(i)]!);
      return this.dialect.placeholder(this.paramOffset + params.length - 1);
    });
    return { sql, params };
  }
}
