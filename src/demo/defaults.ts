/** Defaults of `outflow demo`, kept apart from the generator so the CLI can show them without loading DuckDB. */
export const DEFAULT_DEMO_DIR = '.outflow-demo';
export const DEFAULT_DEMO_PERSONS = 100_000;
export const DEFAULT_DEMO_SEED = 1;
export const DEMO_WAREHOUSE_FILE = 'warehouse.duckdb';
export const DEMO_CONFIG_FILE = 'outflow.yaml';
