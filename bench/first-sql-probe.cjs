/* global process, performance */
// Preloaded by bench/startup.ts (`node --require`): records, in ms since this process started
// (performance.now()), when the first statement reaches DuckDB, and when the process exits, with
// the CPU time the process had used by then (less sensitive to a busy machine than wall time).
// It wraps the native binding's statement entry points as the binding is loaded (process.dlopen,
// whichever loader asks for it) and loads nothing itself, so the measured process does what it
// would do anyway.
const STATEMENT_CALLS = ['query', 'prepare', 'extract_statements'];
let firstSql;
let firstSqlCpu;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
// The addon's own exports object stays referenced for the life of the process.
const natives = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  const result = dlopen.call(this, module, filename, ...rest);
  if (/duckdb\.node$/.test(filename)) {
    // The addon's properties are read-only: hand out a copy with the statement calls wrapped.
    const native = module.exports;
    natives.push(native);
    const copy = {};
    for (const name of Object.getOwnPropertyNames(native)) {
      const value = native[name];
      copy[name] = STATEMENT_CALLS.includes(name) && typeof value === 'function'
        ? function (...args) {
            if (firstSql === undefined) {
              firstSql = performance.now();
              firstSqlCpu = cpuMs();
            }
            return value.apply(this, args);
          }
        : value;
    }
    module.exports = copy;
  }
  return result;
};
process.on('exit', () => {
  process.stderr.write(`@probe ${JSON.stringify({ firstSqlMs: firstSql ?? null, firstSqlCpuMs: firstSqlCpu ?? null, exitMs: performance.now(), exitCpuMs: cpuMs() })}\n`);
});
