import type { Command } from 'commander';
import { registerApply } from './apply';
import { registerExport } from './export';
import { registerTokens } from './tokens';
import { registerDemo } from './demo';
import { registerSegments } from './segments';
import { registerSchedules } from './schedules';
import { registerSegmentsRefresh } from './segments-refresh';
import { registerServe } from './serve';
import { registerSync } from './sync';
import { registerValidate } from './validate';
import { registerWorker } from './worker';

/**
 * Every command lives in its own file and registers itself here. Commands that share a
 * group (`segments ...`, `sync ...`) get the group's Command from `group()`.
 */
export function registerCommands(program: Command): void {
  registerValidate(program);
  registerDemo(program);
  registerSegments(program);
  registerSegmentsRefresh(program);
  registerSync(program);
  registerWorker(program);
  registerSchedules(program);
  registerApply(program);
  registerExport(program);
  registerTokens(program);
  registerServe(program);
}

/** The sub-command group `name` of `program`, created on first use. */
export function group(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}
