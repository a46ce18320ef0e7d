import { UserInputError } from '../config/errors';
import type { GlobalOptions } from '../cli/context';

/** Placeholder until the compiler lands: checks tables, columns and value types against the warehouse. */
export async function checkWarehouse(_opts: GlobalOptions): Promise<void> {
  throw new UserInputError('--check-warehouse is not available yet');
}
