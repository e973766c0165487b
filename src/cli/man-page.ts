/**
 * The man page, agentsight(1), generated in roff from the command tree (command-tree.ts): the same commands and
 * options as `--help`, one section per command.
 */
import { allCommands, type CommandSpec } from './command-tree';

/** Escape text for roff: backslashes, hyphens (so they are not typeset as dashes) and control characters at a line start. */
function esc(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

const ENVIRONMENT: ReadonlyArray<[string, string]> = [
  ['NO_COLOR', 'Turn colour off in report and top output.'],
  ['AGENTSIGHT_EXEC_HOLD', 'Set to 0 to never hold a new executable until its TLS probes are attached (calls before them are then counted as losses).'],
  ['AGENTSIGHT_TLS_SKIP_STACKS', 'Comma-separated TLS stacks not to probe (e.g. gnutls,go).'],
  ['SUDO_UID, SUDO_GID, SUDO_USER', 'Set by sudo: the recorded command runs as that user and the recording is theirs.'],
];

export function manPage(tree: CommandSpec, version: string, date: string): string {
  const out: string[] = [];
  out.push(`.TH AGENTSIGHT 1 "${date}" "agentsight ${esc(version)}" "User Commands"`);
  out.push('.SH NAME', `agentsight \\- ${esc(tree.description)}`);
  out.push('.SH SYNOPSIS');
  for (const c of tree.commands) out.push(`.B agentsight ${esc(c.path.join(' '))}`, `${esc(c.usage)}`, '.br');
  out.push('.SH DESCRIPTION');
  out.push(
    esc('agentsight observes AI coding agents (Claude Code, Codex, Gemini CLI or any command) from the kernel with eBPF: processes with their arguments and exit codes, files created, written, renamed and deleted, network destinations, and the plaintext of their TLS traffic to model APIs (prompts, responses, tool calls, tokens, cost), each action linked to the model call that caused it. Whatever could not be captured is counted and shown, never silently missing.'),
  );
  out.push('.SH COMMANDS');
  for (const c of allCommands(tree)) {
    if (c.path.length === 0) continue;
    out.push(`.SS "agentsight ${esc(c.path.join(' '))}"`, esc(c.description));
    if (c.commands.length > 0) out.push('.PP', `Subcommands: ${c.commands.map((s) => `\\fB${esc(s.path[s.path.length - 1]!)}\\fR`).join(', ')}.`);
    for (const o of c.options) out.push('.TP', `.B ${esc(o.flags)}`, esc(o.description));
  }
  out.push('.SH OPTIONS');
  for (const o of tree.options) out.push('.TP', `.B ${esc(o.flags)}`, esc(o.description));
  out.push('.SH EXIT STATUS', esc('record exits with the recorded command\'s status (128+N when a signal N ended it). Otherwise 0 on success, 1 when nothing was found or capture cannot run, 2 on bad input (a missing, foreign or damaged file, a bad option).'));
  out.push('.SH ENVIRONMENT');
  for (const [k, v] of ENVIRONMENT) out.push('.TP', `.B ${esc(k)}`, esc(v));
  out.push('.SH FILES', '.TP', '.B agentsight\\-*.db', esc('Recordings written by record in the current directory: SQLite, mode 0600, owned by the invoking user.'));
  out.push('.SH SEE ALSO', '.BR strace (1),', '.BR top (1),', '.BR bpftool (8)');
  return out.join('\n') + '\n';
}
