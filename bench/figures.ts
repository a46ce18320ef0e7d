/**
 * A benchmark's result as one row of the README's figures table. Each benchmark prints its rows
 * with `figure()` after its own report; `bench/run.ts` collects them from every benchmark's
 * output (`parseFigures`) and prints the table.
 */
export interface Figure {
  what: string;
  figure: string;
  target: string;
  /** Whether the target was met in this run; absent where there is no pass/fail. */
  met?: boolean;
}

const MARK = '@figure ';

export function figure(row: Figure): void {
  process.stdout.write(`${MARK}${JSON.stringify(row)}\n`);
}

export function parseFigures(output: string): Figure[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith(MARK))
    .map((l) => JSON.parse(l.slice(MARK.length)) as Figure);
}
