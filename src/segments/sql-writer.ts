import { Binder } from '../warehouse/binder';
import type { SqlDialect } from '../warehouse/dialect';
import type { CompiledQuery, SqlValue } from '../warehouse/driver';
import { renderSql } from '../warehouse/templates';

// Fragments (already printed SQL) are slotted into a template's output after rendering: the
// rendered shape is cached per template and structure, and text inside a fragment (an entity's
// own `sql`, say) is never touched by the template's whitespace folding.
const SLOT = '\u0002';
const SLOTS = new RegExp(`${SLOT}(\\w+)${SLOT}`, 'g');
const shapes = new Map<string, string>();
// Shapes differ by table and column names only, so a process sees few; the bound is a backstop.
const MAX_SHAPES = 10_000;

/**
 * Prints a segment's SQL: renders `sql-templates/<dialect>/segments/*` templates and binds values
 * through the one Binder (values only ever enter SQL text as its placeholders).
 */
export class SqlWriter {
  readonly #binder: Binder;

  constructor(
    readonly dialect: SqlDialect,
    readonly asOf: Date,
    paramOffset: number,
    /** For display only: values written as literals (`SqlDialect.literal`) instead of placeholders. */
    readonly inline = false,
  ) {
    this.#binder = new Binder(dialect, { offset: paramOffset });
  }

  /** Binds `value`; see Binder.bind. */
  bind(value: SqlValue): string {
    return this.#binder.bind(value);
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

  /** The finished query: placeholders numbered in reading order (Binder.finish). */
  finish(text: string): CompiledQuery {
    return this.inline ? this.#binder.finishInline(text) : this.#binder.finish(text);
  }
}
