import type { WarehouseDriver } from '../driver';
import { WarehouseError } from '../driver';

/** Not implemented yet. */
export class BigQueryDriver {
  static async open(_config: unknown): Promise<WarehouseDriver> {
    throw new WarehouseError('the bigquery warehouse driver is not available yet');
  }
}
