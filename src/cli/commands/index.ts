import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every command group by the name a user types, with the modules that register it, in the order
 * `outflow --help` lists them. Each command lives in its own file; a group's files are loaded
 * only when it runs (or for help), so `outflow segments size` never loads the sync engine.
 */
const COMMANDS: Record<string, () => Promise<Register[]>> = {
  validate: async () => [(await import('./validate')).registerValidate],
  demo: async () => [(await import('./demo')).registerDemo],
  segments: async () => [
    (await import('./segments')).registerSegments,
    (await import('./segments-refresh')).registerSegmentsRefresh,
    (await import('./segments-members')).registerSegmentsMembers,
  ],
  sync: async () => [(await import('./sync')).registerSync],
  worker: async () => [(await import('./worker')).registerWorker],
  schedules: async () => [(await import('./schedules')).registerSchedules],
  apply: async () => [(await import('./apply')).registerApply],
  export: async () => [(await import('./export')).registerExport],
  tokens: async () => [(await import('./tokens')).registerTokens],
  serve: async () => [(await import('./serve')).registerServe],
};

/**
 * Registers the command group `only` (the command a user typed), or every group when it is
 * absent or not a command (help, a typo: commander then lists them all).
 */
export async function registerCommands(program: Command, only?: string): Promise<void> {
  const names = only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : Object.keys(COMMANDS);
  for (const name of names) for (const register of await COMMANDS[name]!()) register(program);
}

/** The command a user typed: the first argument that is neither an option nor an option's value. */
export function commandOf(args: readonly string[], optionsWithValue: readonly string[] = ['-c', '--config']): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (optionsWithValue.includes(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** The sub-command group `name` of `program`, created on first use. */
export function group(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}
