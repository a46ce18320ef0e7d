import type { WarehouseDriver } from '../driver';
import { WarehouseError } from '../driver';

/** Not implemented yet. */
export class SnowflakeDriver {
  static async open(_config: unknown): Promise<WarehouseDriver> {
    throw new WarehouseError('the snowflake warehouse driver is not available yet');
  }
}
