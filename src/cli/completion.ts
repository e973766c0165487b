/**
 * Shell completions for bash, zsh and fish, generated from the command tree (command-tree.ts): subcommands at each
 * level, each command's options, file names after options that take a path, and commands after `--`.
 */
import { allCommands, type CommandSpec } from './command-tree';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Level {
  key: string;
  subs: string[];
  flags: string[];
  valued: string[];
  paths: string[];
}

function levels(tree: CommandSpec): Level[] {
  const own = ownLevels(tree);
  // A parent's options may follow its subcommands (`report token --json`: report reads them with optsWithGlobals).
  return own.map((l) => {
    const up = own.filter((a) => a.key !== '' && a.key !== l.key && l.key.startsWith(`${a.key} `));
    const merge = (k: 'flags' | 'valued' | 'paths') => [...new Set([...l[k], ...up.flatMap((a) => a[k])])];
    return { ...l, flags: merge('flags'), valued: merge('valued'), paths: merge('paths') };
  });
}

function ownLevels(tree: CommandSpec): Level[] {
  return allCommands(tree).map((c) => ({
    key: c.path.join(' '),
    subs: c.commands.map((s) => s.path[s.path.length - 1]!),
    flags: c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== null)),
    valued: c.options.filter((o) => o.takesValue).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== null)),
    paths: c.options.filter((o) => o.pathValue).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== null)),
  }));
}

/** Case arms mapping a command path to a word list, for the sh-like shells. */
function caseArms(ls: Level[], pick: (l: Level) => string[]): string {
  return ls.map((l) => `    '${l.key}') echo '${pick(l).join(' ')}' ;;`).join('\n');
}

function bash(tree: CommandSpec): string {
  const ls = levels(tree);
  return `# bash completion for agentsight (generated from its command definitions: agentsight completion bash)
_agentsight_subs() { case "$1" in
${caseArms(ls, (l) => l.subs)}
  esac; }
_agentsight_flags() { case "$1" in
${caseArms(ls, (l) => l.flags)}
  esac; }
_agentsight_valued() { case "$1" in
${caseArms(ls, (l) => l.valued)}
  esac; }
_agentsight_paths() { case "$1" in
${caseArms(ls, (l) => l.paths)}
  esac; }
_agentsight() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" i w skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ $skip == 1 ]]; then skip=0; continue; fi
    if [[ $w == -- ]]; then
      if ((i == COMP_CWORD - 1)); then COMPREPLY=($(compgen -c -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
      return
    fi
    if [[ $w == -* ]]; then [[ " $(_agentsight_valued "$path") " == *" $w "* ]] && skip=1; continue; fi
    [[ " $(_agentsight_subs "$path") " == *" $w "* ]] && path="\${path:+$path }$w"
  done
  if [[ " $(_agentsight_paths "$path") " == *" $prev "* ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
  if [[ " $(_agentsight_valued "$path") " == *" $prev "* ]]; then COMPREPLY=(); return; fi
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$(_agentsight_flags "$path")" -- "$cur"))
  else COMPREPLY=($(compgen -W "$(_agentsight_subs "$path")" -- "$cur")); fi
}
complete -F _agentsight agentsight
`;
}

function zsh(tree: CommandSpec): string {
  const ls = levels(tree);
  return `#compdef agentsight
# zsh completion for agentsight (generated from its command definitions: agentsight completion zsh)
_agentsight_list() { case "$1:$2" in
${ls.flatMap((l) => (['subs', 'flags', 'valued', 'paths'] as const).map((k) => `    '${l.key}:${k}') reply=(${l[k].map((w) => `'${w}'`).join(' ')}) ;;`)).join('\n')}
    *) reply=() ;;
  esac; }
_agentsight() {
  local path="" w skip=0 i cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local -a reply
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ $w == -- ]]; then
      if ((i == CURRENT - 1)); then _command_names; else _files; fi
      return
    fi
    if [[ $w == -* ]]; then _agentsight_list "$path" valued; (( \${reply[(Ie)$w]} )) && skip=1; continue; fi
    _agentsight_list "$path" subs; (( \${reply[(Ie)$w]} )) && path="\${path:+$path }$w"
  done
  _agentsight_list "$path" paths; if (( \${reply[(Ie)$prev]} )); then _files; return; fi
  _agentsight_list "$path" valued; if (( \${reply[(Ie)$prev]} )); then return; fi
  if [[ $cur == -* ]]; then _agentsight_list "$path" flags; else _agentsight_list "$path" subs; fi
  compadd -- "\${reply[@]}"
}
compdef _agentsight agentsight
`;
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fish(tree: CommandSpec): string {
  const lines = ['# fish completion for agentsight (generated from its command definitions: agentsight completion fish)', 'complete -c agentsight -f'];
  for (const c of allCommands(tree)) {
    // At this level: every word of the path seen, and none of this level's subcommands yet.
    const subs = c.commands.map((s) => s.path[s.path.length - 1]!);
    const conds = c.path.map((w) => `__fish_seen_subcommand_from ${w}`);
    const here = [...conds, ...(subs.length > 0 ? [`not __fish_seen_subcommand_from ${subs.join(' ')}`] : [])];
    const atTop = c.path.length === 0 ? [`not __fish_seen_subcommand_from ${subs.join(' ')}`] : here;
    const cond = atTop.length > 0 ? ` -n ${fishQuote(atTop.join('; and '))}` : '';
    for (const s of c.commands) lines.push(`complete -c agentsight${cond} -a ${s.path[s.path.length - 1]} -d ${fishQuote(s.description)}`);
    // Options hold below their command too (`report token --json`), except the top level's (-V, -h) elsewhere.
    const optCond = c.path.length === 0 ? cond : ` -n ${fishQuote(conds.join('; and '))}`;
    for (const o of c.options) {
      const names = [o.long ? `-l ${o.long.slice(2)}` : '', o.short ? `-s ${o.short.slice(1)}` : ''].filter(Boolean).join(' ');
      lines.push(`complete -c agentsight${optCond} ${names}${o.takesValue ? ' -r' : ''}${o.pathValue ? ' -F' : ''} -d ${fishQuote(o.description)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function completionScript(shell: Shell, tree: CommandSpec): string {
  return shell === 'bash' ? bash(tree) : shell === 'zsh' ? zsh(tree) : fish(tree);
}
