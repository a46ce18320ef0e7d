import { asDestinationError } from './errors';

/**
 * testConnection for every connector: one cheap authenticated call (the connector's choice: its
 * account, or a one-item listing), with any failure as a DestinationError naming the destination.
 *
 * @example
 * testConnection: () => checkConnection(this.#label, () => this.#api.get(`/adAccounts/${id}`)),
 */
export async function checkConnection(label: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    throw asDestinationError(err, `${label}: connection test`);
  }
}
