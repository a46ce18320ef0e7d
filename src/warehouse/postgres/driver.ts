import type { WarehouseDriver } from '../driver';
import { WarehouseError } from '../driver';

/** Not implemented yet. */
export class PostgresDriver {
  static async open(_config: unknown): Promise<WarehouseDriver> {
    throw new WarehouseError('the postgres warehouse driver is not available yet');
  }
}
