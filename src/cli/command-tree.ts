/**
 * The CLI's commands as plain data, read from the same commander definitions `--help` prints: the man page and the
 * shell completions are generated from it, so neither can drift from the real options.
 */
import type { Command } from 'commander';

export interface OptionSpec {
  flags: string;
  long: string | null;
  short: string | null;
  description: string;
  /** Takes a value (`--db <file>`). */
  takesValue: boolean;
  /** Its value is a file or directory (completed as paths). */
  pathValue: boolean;
}

export interface CommandSpec {
  /** Words from the top: [] for agentsight itself, ['report', 'token'] for `agentsight report token`. */
  path: string[];
  description: string;
  usage: string;
  options: OptionSpec[];
  commands: CommandSpec[];
}

const PATH_VALUE = /<(file|dir|path)>/i;

export function commandTree(cmd: Command, parents: string[] = []): CommandSpec {
  const here = parents.length === 0 && cmd.parent === null ? [] : [...parents, cmd.name()];
  const options: OptionSpec[] = cmd.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      flags: o.flags,
      long: o.long ?? null,
      short: o.short ?? null,
      description: o.description,
      takesValue: o.required || o.optional,
      pathValue: PATH_VALUE.test(o.flags),
    }));
  options.push({ flags: '-h, --help', long: '--help', short: '-h', description: 'display help', takesValue: false, pathValue: false });
  return {
    path: here,
    description: cmd.description(),
    usage: cmd.usage(),
    options,
    commands: cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => commandTree(c, here)),
  };
}

/** Every command of the tree, depth first. */
export function allCommands(t: CommandSpec): CommandSpec[] {
  return [t, ...t.commands.flatMap(allCommands)];
}
