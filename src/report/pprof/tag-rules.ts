/**
 * Tags of `report pprof`: what a tool call did (test, build, git, search, edit …) and what prompted an LLM call.
 * `--tag 'KIND:TAG=REGEX'` rules come first, in the order given, then the built-in ones; the first match wins.
 * A tool call no rule matches is tagged with its own name (never a catch-all "unmatched"), a prompt with "prompt".
 *
 * A tool rule is matched against "NAME COMMAND": the tool's name and, for shell tools, the command it ran (Claude
 * Code's Bash `command`, Codex's `command` argv, Gemini's run_shell_command) — not the whole input, so an Edit of
 * test.ts is an edit, not a test. A prompt rule is matched against the last user turn's text.
 */
import { ReportError } from '../errors';

export type TagKind = 'tool' | 'prompt';
export const TAG_KINDS: readonly TagKind[] = ['tool', 'prompt'];

export interface TagRule {
  kind: TagKind;
  tag: string;
  re: RegExp;
}

/** Common tool names and commands of Claude Code, Codex and Gemini CLI; order matters (`make test` is a test). */
export const BUILT_IN_RULES: readonly TagRule[] = [
  { kind: 'tool', tag: 'test', re: /\b(?:(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test|npx\s+(?:vitest|jest|mocha)|pytest|vitest|jest|mocha|go\s+test|cargo\s+(?:test|nextest)|ctest|rspec|phpunit|tox|make\s+(?:test|check))\b/i },
  { kind: 'tool', tag: 'build', re: /\b(?:(?:npm|pnpm|yarn|bun)\s+run\s+build|tsc|make|cmake|ninja|gcc|g\+\+|clang|cargo\s+(?:build|check)|go\s+build|webpack|esbuild|vite\s+build|mvn|gradle|pip\s+install|npm\s+(?:install|ci))\b/i },
  { kind: 'tool', tag: 'git', re: /(?:^|[\s;&|(])git\s/ },
  { kind: 'tool', tag: 'search', re: /^(?:Grep|Glob|WebSearch|WebFetch|LS|search_file_content|glob|list_directory|google_web_search|web_fetch|grep_search|file_search)\b|(?:^|[\s;&|(])(?:rg|grep|egrep|ag|ack|find|fd|ls)\s/ },
  { kind: 'tool', tag: 'edit', re: /^(?:Edit|MultiEdit|Write|NotebookEdit|replace|write_file|edit_file|str_replace_based_edit_tool)\b|\bapply_patch\b/ },
];

/** 'KIND:TAG=REGEX' → a rule; anything else is a one-line error. */
export function parseTagRule(spec: string): TagRule {
  const m = /^([a-z]+):([^=]+)=(.+)$/s.exec(spec);
  if (!m) throw new ReportError(`--tag takes KIND:TAG=REGEX, KIND one of ${TAG_KINDS.join(', ')} (got "${spec}")`);
  const [, kind, tag, source] = m;
  if (!TAG_KINDS.includes(kind as TagKind)) throw new ReportError(`--tag: kind must be one of ${TAG_KINDS.join(', ')} (got "${kind}" in "${spec}")`);
  if (/[;\n]/.test(tag)) throw new ReportError(`--tag: a tag cannot hold ';' or a newline (got "${tag}")`);
  let re: RegExp;
  try {
    re = new RegExp(source, 'i');
  } catch (err) {
    throw new ReportError(`--tag: bad regular expression "${source}" (${(err as Error).message.split('\n')[0]})`);
  }
  return { kind: kind as TagKind, tag: tag.trim(), re };
}

export class Tagger {
  private readonly tools: readonly TagRule[];
  private readonly prompts: readonly TagRule[];

  constructor(userRules: readonly TagRule[]) {
    const all = [...userRules, ...BUILT_IN_RULES];
    this.tools = all.filter((r) => r.kind === 'tool');
    this.prompts = all.filter((r) => r.kind === 'prompt');
  }

  /** Whether any rule classifies prompts (reading prompt text costs time; skipped when none does). */
  get classifiesPrompts(): boolean {
    return this.prompts.length > 0;
  }

  tool(name: string, command: string): string {
    const subject = `${name} ${command}`.trimEnd();
    for (const r of this.tools) if (r.re.test(subject)) return r.tag;
    return name || 'tool';
  }

  prompt(text: string | null): string {
    if (text) for (const r of this.prompts) if (r.re.test(text)) return r.tag;
    return 'prompt';
  }
}

/** What the rules and the files view read from a tool's input JSON (parsed once). */
export interface ToolInput {
  /** The command a shell tool ran; '' for other tools or input that is not JSON. */
  command: string;
  /** The file the call names (Edit/Read/Write file_path, Gemini's absolute_path …), else null. */
  file: string | null;
}

export function toolInput(inputJson: string): ToolInput {
  let input: unknown;
  try {
    input = JSON.parse(inputJson);
  } catch {
    return { command: '', file: null };
  }
  if (!input || typeof input !== 'object') return { command: '', file: null };
  const o = input as Record<string, unknown>;
  const c = o['command'] ?? o['cmd'];
  const command = typeof c === 'string' ? c : Array.isArray(c) ? c.filter((x) => typeof x === 'string').join(' ') : '';
  let file: string | null = null;
  for (const k of ['file_path', 'absolute_path', 'filePath', 'notebook_path', 'path']) {
    const v = o[k];
    if (typeof v === 'string' && v) {
      file = v;
      break;
    }
  }
  return { command, file };
}
