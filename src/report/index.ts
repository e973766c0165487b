/**
 * `agentsight report …`: read a saved recording (or, with --local, the agents' own session files) and print what
 * happened. The CLI's main calls registerReportCommand(program); tests pass their own ReportIo to run in-process.
 *
 * Options are declared once, on `report`, and read by the subcommands with optsWithGlobals(): commander lets a
 * parent's options appear anywhere after it, so `report list --json` and `report --json list` both work.
 */
import { Command, CommanderError, Option } from 'commander';
import type { RecordingReader } from '../store';
import { runAudit } from './audit';
import { makeContext, type CommonOptions, type ReportContext } from './context';
import { EXIT_BAD_INPUT, ReportError } from './errors';
import { runExport } from './export';
import { processIo, type ReportIo } from './io';
import { runList } from './list';
import { runMcp } from './mcp';
import { LOCAL_GROUPS, runLocal } from './local/local-report';
import { runPrompts } from './prompts';
import { runPprof, type PprofOptions } from './pprof/run-pprof';
import { VIEWS, VIEW_NAMES } from './pprof/views';
import { SAMPLE_TYPE_NAMES } from './pprof/sample-model';
import { parseDayRange } from './day-range';
import { resolveRecordingPath, selectRecordings, withRecording } from './recordings';
import { monitorRecordingFiles } from './monitor-files';
import { runSummary } from './summary';
import { TOKEN_GROUPS, parseTokenGroup, runToken } from './token';
import { registerServeCommand } from '../web/serve-command';

interface ReportOptions extends CommonOptions {
  local?: boolean;
  home?: string;
  agent?: string;
  groupBy?: string;
  since?: string;
  until?: string;
  monitor?: boolean;
}

const EXAMPLES = {
  report: `
Examples:
  $ agentsight report                          summary of the newest agentsight-*.db in this directory
  $ agentsight report --db run.db --json       the same for run.db, as JSON
  $ agentsight report --local                  tokens and cost from ~/.claude, ~/.codex and ~/.gemini (no root)
  $ agentsight report --local --group-by model --since 2026-11-01
  $ agentsight report list                     every recording here, oldest first
  $ agentsight report token --dir ~/recordings --since 2026-11-01   tokens and cost of every recording there

--db reads one recording; \`report token\` and \`report list\` with --dir or --since/--until read every recording in
the directory (agentsight-*.db and any other SQLite file that is a recording); the other reports read the newest.
  $ agentsight report pprof -o run.svg         flame graph of where the tokens went (.pb.gz for go tool pprof)

Exit status: 0 ok, 1 nothing found, 2 bad input (missing, foreign or damaged file, bad option).
Times are in the local zone unless --utc. NO_COLOR=1 turns colour off.`,
  list: `
Examples:
  $ agentsight report list
  $ agentsight report list --dir ~/recordings --json
  $ agentsight report list --since 2026-11-01   recordings that ran on or after that day

Read: every agentsight-*.db and any other SQLite file (a renamed recording). Files among those that are not
readable agentsight recordings are skipped with a one-line note on stderr.`,
  prompts: `
Examples:
  $ agentsight report prompts                  one line per LLM call
  $ agentsight report prompts --json | jq '.calls[0].request.messages'`,
  token: `
Examples:
  $ agentsight report token                    by model
  $ agentsight report token --group-by day --utc
  $ agentsight report token --group-by session --json
  $ agentsight report token --dir ~/recordings --group-by day --since 20261101 --until 20261130

With --dir or --since/--until (and no --db) every recording in the directory is summed; sessions are then named
by their file, since session ids restart in each recording.`,
  audit: `
Examples:
  $ agentsight report audit                    spawns, execs, file changes, network, API and tool calls in time order
  $ agentsight report audit --all-files        also every open and read
  $ agentsight report audit --json | jq '.events[] | select(.causedBy != null)'`,
  mcp: `
Examples:
  $ agentsight report mcp                      MCP servers and every request to them (tool calls, listings)
  $ agentsight report mcp --json | jq '.calls[] | select(.method == "tools/call") | {target, params, result}'`,
  export: `
Examples:
  $ agentsight report export -o snapshot.json
  $ agentsight report export --db run.db -o - | jq .schema

The snapshot format is documented in docs/snapshot-schema.md ("agentsight.snapshot/1").`,
  otel: `
Examples:
  $ agentsight report otel --db run.db                        to http://localhost:4318 (OTLP/HTTP, protobuf)
  $ OTEL_EXPORTER_OTLP_ENDPOINT=https://otel.example:4318 OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20T \\
      agentsight report otel --db run.db --otel-content

Standard variables: OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT, _PROTOCOL (http/protobuf, http/json), _HEADERS,
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES. What is exported: docs/otel.md. Exit 1 when something was not delivered.`,
  pprof: `
Examples:
  $ agentsight report pprof -o run.pb.gz        tokens, cost, calls and time of the newest recording
  $ go tool pprof -top -sample_index=cost run.pb.gz
  $ agentsight report pprof --view cost -o cost.svg          a flame graph of the dollars
  $ agentsight report pprof --local --since 2026-11-01 -o month.folded
  $ agentsight report pprof --tag 'tool:lint=eslint|ruff' --tag 'prompt:review=review' -o run.json

Views (--view): ${VIEW_NAMES.map((v) => `${v} = ${VIEWS[v].description}`).join('\n                ')}
Built-in tags: test, build, git, search, edit (docs/report-pprof.md); other tool calls are tagged by their name.`,
};

export function registerReportCommand(program: Command, io: ReportIo = processIo()): void {
  const report = program
    .command('report')
    .description('summarise a recording (or, with --local, the agents\' own session files)')
    .option('--db <file>', 'one recording to read (default: the newest agentsight-*.db in --dir)')
    .option('--dir <dir>', 'directory holding the recordings (default: the current directory); token, prompts and list read every recording there')
    .option('--json', 'print JSON (schemas in docs/schemas/)')
    .option('--utc', 'show and group times in UTC instead of the local zone')
    .option('--monitor', 'read your recordings of the always-on monitor: this week\'s (token, prompts, list: the weeks of --since/--until)')
    .option('--local', 'read Claude Code, Codex and Gemini CLI session files of the invoking user instead of a recording')
    .option('--home <dir>', 'with --local: home directory whose session files to read (default: the invoking user\'s)')
    .option('--agent <names>', 'with --local: claude-code, codex, gemini-cli (comma-separated; default all)')
    .option('--since <date>', 'token, prompts, list, --local: first day to include (YYYY-MM-DD; without --db, every recording in --dir)')
    .option('--until <date>', 'token, prompts, list, --local: last day to include (YYYY-MM-DD)')
    .addOption(new Option('--group-by <key>', `token: ${TOKEN_GROUPS.join('|')} (default model); --local: ${LOCAL_GROUPS.join('|')} (default day, project and session)`))
    .addHelpText('after', EXAMPLES.report)
    .argument('[subcommand]')
    .usage('[options] [command]')
    .action((subcommand: string | undefined, _opts, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions>();
      if (subcommand === 'help') {
        cmd.outputHelp();
        return;
      }
      run(io, o, (ctx) => {
        if (subcommand !== undefined) {
          throw new ReportError(`report: unknown subcommand '${subcommand}' (one of ${cmd.commands.map((c) => c.name()).join(', ')}; see \`agentsight report --help\`)`);
        }
        if (o.local) return runLocal(o, ctx);
        rejectLocalOnly(o, 'report');
        if (o.groupBy) throw new ReportError('--group-by applies to `report token` and `report --local`');
        return withStore(o, ctx, (s) => runSummary(s, ctx));
      });
    });

  report
    .command('list')
    .description('list the recordings in the directory: start, duration, calls, tokens, cost, command')
    .addHelpText('after', EXAMPLES.list)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions>();
      run(io, o, (ctx) => {
        rejectLocalOnly(o, 'report list', ['since', 'until']);
        return runList(ctx, parseDayRange(o), o.monitor ? monitorRecordingFiles(o, io.env) : undefined);
      });
    });

  report
    .command('prompts')
    .description('every LLM call; --json includes the full request and response JSON')
    .addHelpText('after', EXAMPLES.prompts)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions>();
      run(io, o, (ctx) => {
        rejectLocalOnly(o, 'report prompts', ['since', 'until']);
        // --monitor: this week's files (a restart starts a new one), or the weeks of --since/--until, like token.
        const selected = o.monitor ? { files: monitorRecordingFiles(o, io.env).map((f) => f.path), many: true } : selectRecordings(o, ctx.dir);
        return runPrompts({ ...selected, range: parseDayRange(o) }, ctx);
      });
    });

  report
    .command('token')
    .description('token use and cost grouped by model, session, agent or day (--group-by)')
    .addHelpText('after', EXAMPLES.token)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions>();
      run(io, o, (ctx) => {
        rejectLocalOnly(o, 'report token', ['since', 'until']);
        const group = parseTokenGroup(o.groupBy);
        const range = parseDayRange(o);
        const selected = o.monitor ? { files: monitorRecordingFiles(o, io.env).map((f) => f.path), many: true } : selectRecordings(o, ctx.dir);
        return runToken({ ...selected, range }, group, ctx);
      });
    });

  report
    .command('audit')
    .description('process spawns, file operations, network, API calls in time order, with the tool call behind each')
    .option('--all-files', 'include opens and reads (default: only operations that change files, failed ones included)')
    .addHelpText('after', EXAMPLES.audit)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions & { allFiles?: boolean }>();
      run(io, o, (ctx) => {
        rejectLocalOnly(o, 'report audit');
        return withStore(o, ctx, (s) => runAudit(s, ctx, { allFiles: o.allFiles }));
      });
    });

  report
    .command('mcp')
    .description('MCP servers the agents started and their requests: tool, arguments, result or error, latency')
    .addHelpText('after', EXAMPLES.mcp)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions>();
      run(io, o, (ctx) => {
        rejectLocalOnly(o, 'report mcp');
        return withStore(o, ctx, (s) => runMcp(s, ctx));
      });
    });

  report
    .command('export')
    .description('write the whole recording as a versioned JSON snapshot (docs/snapshot-schema.md)')
    .option('-o, --output <file>', 'where to write the snapshot (- for standard output)')
    .addHelpText('after', EXAMPLES.export)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions & { output?: string }>();
      run(io, o, (ctx) => {
        rejectLocalOnly(o, 'report export');
        return withStore(o, ctx, (s) => runExport(s, o.output, ctx));
      });
    });

  report
    .command('otel')
    .description('send the recording to an OpenTelemetry collector: one trace per agent session, GenAI metrics')
    .option('--otel-content', 'include prompts, responses and tool arguments/results (opt-in; redacted as stored)')
    .addHelpText('after', EXAMPLES.otel)
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions & { otelContent?: boolean }>();
      // Async (network): the one report command that awaits, so it opens the recording itself rather than via run().
      let file: string;
      try {
        rejectLocalOnly(o, 'report otel');
        if (o.json || o.groupBy) throw new ReportError(`--${o.json ? 'json' : 'group-by'} does not apply to \`report otel\` (it prints one line)`);
        file = resolveRecordingPath(o.db, makeContext(io, o).dir);
      } catch (err) {
        return run(io, o, () => { throw err; });
      }
      const { runReportOtelCommand } = await import('../export/otel/report-command');
      io.setExitCode(await runReportOtelCommand(file, io, { content: Boolean(o.otelContent) }));
    });

  report
    .command('pprof')
    .description('token, cost, call and time profile (pprof .pb.gz, .folded, .svg flame graph or .json, by -o extension)')
    .option('-o, --output <file>', 'file to write: .pb.gz (go tool pprof), .folded, .svg or .json')
    .option('--view <name>', `stack of the profile: ${VIEW_NAMES.join('|')} (default tokens)`)
    .option('--tag <rule>', "classify tool calls or prompts: 'tool:TAG=REGEX' or 'prompt:TAG=REGEX' (repeatable; before the built-in rules)", (v: string, prev: string[] = []) => [...prev, v])
    .option('--value <type>', `sample type of .folded and .svg: ${SAMPLE_TYPE_NAMES.join('|')} (default: the view's)`)
    .addHelpText('after', EXAMPLES.pprof)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<ReportOptions & PprofOptions>();
      run(io, o, (ctx) => {
        if (o.groupBy) throw new ReportError('--group-by applies to `report token` and `report --local`; `report pprof` takes --view');
        if (o.json) throw new ReportError('`report pprof` writes JSON with -o FILE.json, not --json');
        if (o.local) {
          if (o.db) throw new ReportError('--db and --local exclude each other: a profile reads a recording or the session files');
        } else {
          const set = (['home', 'agent', 'since', 'until'] as const).filter((k) => o[k] !== undefined);
          if (set.length) throw new ReportError(`--${set[0]} applies to \`report pprof --local\` only`);
        }
        return runPprof(o, ctx, (fn) => withStore(o, ctx, fn));
      });
    });

  registerServeCommand(report, io);

  for (const cmd of [report, ...report.commands]) {
    cmd
      .configureHelp({ showGlobalOptions: true })
      // One prefix for every error line of the CLI: commander's "error: …" reads "agentsight: …" as the others do.
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(commanderErrorLine(s)) })
      // Usage errors are bad input: exit 2 (commander's default is 1, which our convention keeps for "nothing found").
      .exitOverride((err: CommanderError) => io.exit(err.exitCode === 0 ? 0 : EXIT_BAD_INPUT));
  }
}

type LocalOnly = 'home' | 'agent' | 'since' | 'until';

/**
 * Commander's "error: unknown option '--jsn'\n(Did you mean --json?)\n" as the one line every report error is:
 * "agentsight: unknown option '--jsn' (Did you mean --json?)". Help text (not an error) passes unchanged.
 */
export function commanderErrorLine(s: string): string {
  if (!s.startsWith('error: ')) return s;
  return `agentsight: ${s.slice(7).trim().split(/\s*\n\s*/).join(' ')}\n`;
}

/** Options that only mean something with --local (or, for --since/--until, the reports across recordings) are an error elsewhere rather than silently ignored. */
function rejectLocalOnly(o: ReportOptions, where: string, allowed: readonly LocalOnly[] = []): void {
  if (o.local && where !== 'report') throw new ReportError(`--local works with \`report\` alone (e.g. \`report --local --group-by model\`), not with \`${where}\``);
  const set = (['home', 'agent', 'since', 'until'] as const).filter((k) => o[k] !== undefined && !allowed.includes(k));
  if (!set.length) return;
  const also = set[0] === 'since' || set[0] === 'until' ? '`report token`, `report prompts`, `report list` and ' : '';
  throw new ReportError(`--${set[0]} applies to ${also}\`report --local\` only, not to \`${where}\``);
}

function withStore<T = number>(o: ReportOptions, ctx: ReportContext, fn: (store: RecordingReader) => T): T {
  // --monitor: the newest of this week's files (a restart starts a new one).
  const file = o.monitor ? monitorRecordingFiles({ ...o, since: undefined, until: undefined }, ctx.io.env).at(-1)!.path : resolveRecordingPath(o.db, ctx.dir);
  return withRecording(file, fn);
}

/** Run one command: ReportErrors become one line on stderr and their exit code; anything else is a bug, said so. */
function run(io: ReportIo, opts: ReportOptions, fn: (ctx: ReportContext) => number): void {
  let code: number;
  try {
    code = fn(makeContext(io, opts));
  } catch (err) {
    if (err instanceof ReportError) {
      io.err(`agentsight: ${err.message}\n`);
      code = err.exitCode;
    } else {
      if (io.env['AGENTSIGHT_DEBUG']) io.err(`${(err as Error)?.stack ?? String(err)}\n`);
      const msg = ((err as Error)?.message ?? String(err)).split('\n')[0];
      io.err(`agentsight: internal error in report: ${msg} (set AGENTSIGHT_DEBUG=1 for details)\n`);
      code = EXIT_BAD_INPUT;
    }
  }
  io.setExitCode(code);
}
