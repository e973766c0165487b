/**
 * The agentsight command line. Subcommands load their modules lazily so `record` never pays for blessed, and each
 * failure becomes one line on stderr with a meaningful exit code (see fail.ts).
 */
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { reportError, UserError } from './fail';
import { runTopCommand, type TuiModule } from './top';

/** What src/report exports (loaded lazily). */
interface ReportModule {
  registerReportCommand(program: Command): void;
}

/**
 * Set by commands that leave nothing running once they return: the process then exits at once instead of tearing
 * down its environment (heap, handles, addons) first, 10-15 ms of a `top --once`. stdout and stderr writes are
 * synchronous on Linux (files, pipes and terminals alike), so nothing written is lost; 'exit' handlers still run.
 */
let exitWhenDone = false;

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command();
  program
    .name('agentsight')
    .description('See what AI coding agents really do: processes, files, network and LLM traffic, from the kernel.')
    // The full text (commit, kernel features) costs a few stat calls: only when asked for.
    .version(argv.includes('--version') || argv.includes('-V') ? (require('./version') as typeof import('./version')).versionText() : '')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `agentsight: ${s.slice(7)}` : s) });

  program
    .command('record')
    .description('record a command and everything it starts (needs root; the command runs as you)')
    .option('--db <file>', 'output recording (default: agentsight-YYYYMMDD-HHMMSS.db in the current directory)')
    .option('-q, --quiet', 'no status or summary on stderr')
    .option('--binary-path <path>', 'also find and probe the TLS functions of this binary (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--ring-bytes <n>', `event ring buffer size in bytes (power of two, at least ${MIN_RING_BYTES})`, parseRingBytes)
    .option('-p, --pid <pid>', 'attach to a running process and its descendants (repeatable)', (v, prev: number[] = []) => [...prev, parseIntArg(v, '-p')])
    .option('-c, --comm <name>', 'attach to processes with this name, running now and started later, and their descendants')
    .option('--container <name|id>', 'every process of this container (Docker name or id; containerd/podman id), running now and started later, docker exec included')
    .option('--duration <seconds>', 'with -p/-c/--container and no command: stop after this many seconds', (v) => parseIntArg(v, '--duration'))
    .option('--otel', 'also stream an OpenTelemetry trace per agent session and GenAI metrics to OTLP (OTEL_* variables; docs/otel.md)')
    .option('--otel-content', 'with --otel: include prompts, responses and tool arguments/results (redacted as stored)')
    .option('--no-web', 'do not serve the live web UI (default: on 127.0.0.1:7395, or the next free port)')
    .argument('[command...]', 'the command to run, after -- (optional with -p/-c/--container)')
    .usage('[options] [-p PID] [-c COMM] [--container NAME] [-- CMD [ARGS...]]')
    .addHelpText('after', '\nExamples:\n  sudo agentsight record -- claude\n  sudo agentsight record --db run.db -- codex exec "fix the tests"\n  sudo agentsight record -p 4242\n  sudo agentsight record -c claude --duration 600\n  sudo agentsight record --container devbox --duration 600')
    .action(async (command: string[], opts: { db?: string; quiet?: boolean; ringBytes?: number; pid?: number[]; comm?: string; container?: string; duration?: number; otel?: boolean; otelContent?: boolean; web?: boolean }) => {
      // Loaded here, not at the top: every other command (top --once above all) is judged by its start-up too.
      (require('../collector/startup-trace') as typeof import('../collector/startup-trace')).startupMark('node started, CLI entry loaded, arguments parsed');
      // A running monitor records the command without BPF or sudo (record-via-monitor.ts): asked before the capture's
      // modules are loaded, so the command starts at once.
      const via = require('./record-via-monitor') as typeof import('./record-via-monitor');
      if (via.monitorCanRecord(command, opts)) {
        const code = await via.recordViaMonitor(command, opts.quiet === true);
        if (code !== null) {
          exitCode = code;
          return;
        }
      }
      // The probe groups load on native threads (~0.5 s of verifier on this machine kind) while record's own modules
      // load and its recording is created (BENCHMARKS.md, start-up). Only for a run that will open them: as root,
      // with something to record.
      const attaching = (opts.pid?.length ?? 0) > 0 || opts.comm !== undefined || opts.container !== undefined;
      if (process.geteuid?.() === 0 && (command.length > 0 || attaching) && !(opts.duration !== undefined && command.length > 0)) {
        (require('../collector/bpf-capture') as typeof import('../collector/bpf-capture')).BpfCapture.preload({ allProcesses: false, eventRingBytes: opts.ringBytes });
      }
      const { runRecord } = await import('./record');
      exitCode = await runRecord(command, opts, argv.slice(1));
      // The recording is closed and the summary written; the probes' release is the keeper's (native/hand-off.h).
      // Tearing down node's heap and handles would only delay the shell's prompt (BENCHMARKS.md, session 9).
      exitWhenDone = true;
      (require('./exit-now') as typeof import('./exit-now')).skipTeardownAtExit();
    });

  program
    .command('top')
    .description('live view of agents on this machine, or replay of a recording with --db')
    .option('--db <file>', 'replay a recording instead of capturing live')
    .option('--monitor', 'show your recording of this week from the always-on monitor (agentsight monitor) instead of capturing')
    .option('--once', 'print one plain-text snapshot and exit')
    .option('--width <columns>', 'width of --once output (0: no limit)', (v) => (v === '0' ? 0 : parseIntArg(v, '--width')))
    .option('--at <time>', 'state at this time (HH:MM:SS, ISO time, +30s from start, -10s from end)')
    .option('--format <fmt>', 'text or json (with --once)', 'text')
    .option('--ascii', 'ASCII borders and symbols only')
    .option('--utc', 'show times in UTC')
    .option('-p, --pid <pid>', 'live: watch this process and its descendants as a session, in place of known agents (repeatable)', (v, prev: number[] = []) => [...prev, parseIntArg(v, '-p')])
    .option('-c, --comm <name>', 'live: watch processes of this name (running now and started later) as sessions, in place of known agents')
    .option('--no-web', 'live: do not serve the web UI (default: on 127.0.0.1:7395, or the next free port)')
    .addHelpText('after', '\nExamples:\n  sudo agentsight top\n  sudo agentsight top -p 4242\n  sudo agentsight top -c aider\n  agentsight top --db run.db\n  agentsight top --db run.db --once --width 100')
    .action(async (opts: Record<string, unknown>) => {
      if (opts['format'] !== 'text' && opts['format'] !== 'json') throw new UserError(`--format must be text or json`);
      // Not root, and the monitor runs: plain live `top` shows what the monitor records of this user's agents.
      const plainLive = opts['db'] === undefined && opts['monitor'] !== true && opts['pid'] === undefined && opts['comm'] === undefined && opts['at'] === undefined;
      if (plainLive && process.getuid?.() !== 0) {
        const m = require('./monitor-command') as typeof import('./monitor-command');
        const file = m.monitorViewForLiveTop();
        if (file !== null) {
          process.stderr.write(`agentsight: showing your agents as the running monitor records them (${file}); sudo agentsight top shows the whole machine\n`);
          opts['monitor'] = true;
        }
      }
      if (opts['monitor'] === true) {
        if (opts['db'] !== undefined) throw new UserError('top: --monitor and --db exclude each other');
        const m = require('./monitor-command') as typeof import('./monitor-command');
        opts['db'] = m.monitorDbForTop();
        // Interactive: followed as the monitor writes it; a snapshot reads it as any recording.
        if (opts['once'] !== true && process.stdout.isTTY) {
          exitCode = await m.runTopMonitor(require('../tui') as TuiModule, { ...opts, noColor: process.env['NO_COLOR'] !== undefined }, opts['db'] as string);
          return;
        }
      }
      // Flags that only mean something for a recording are refused in live mode, not silently ignored.
      if (opts['db'] === undefined && opts['at'] !== undefined) throw new UserError('top: --at needs --db (a recording to show at that moment)');
      if (opts['db'] !== undefined && (opts['pid'] !== undefined || opts['comm'] !== undefined)) {
        throw new UserError(`top: ${opts['pid'] !== undefined ? '-p' : '-c'} watches live processes; a recording (--db) shows what it recorded`);
      }
      for (const pid of (opts['pid'] as number[] | undefined) ?? []) {
        if (pid <= 0 || !fs.existsSync(`/proc/${pid}/stat`)) throw new UserError(`top: -p ${pid}: no such process`);
      }
      if (opts['comm'] === '') throw new UserError('top: -c: empty process name');
      const tui = require('../tui') as TuiModule;
      // A snapshot (--once, or stdout not a terminal) is complete when runTop returns: its output was written, and
      // the process exits right after (its read-only store is left to the exit).
      exitWhenDone = opts['once'] === true || !process.stdout.isTTY;
      exitCode = await runTopCommand(tui, { ...opts, noColor: process.env['NO_COLOR'] !== undefined, exitAfterSnapshot: exitWhenDone });
    });

  // The always-on collector and its service commands (monitor-command.ts; src/monitor).
  (require('./monitor-command') as typeof import('./monitor-command')).registerMonitorCommand(program, (code) => {
    exitCode = code;
    exitWhenDone = true;
  });

  program
    .command('doctor')
    .description('check what capture needs on this machine (BTF, tracefs, uprobes, the addon, each probe group) and say what works')
    .addHelpText('after', '\nAs root it loads and attaches every probe group, then releases them.\nExamples:\n  sudo agentsight doctor')
    .action(() => {
      exitCode = (require('./doctor') as typeof import('./doctor')).runDoctor();
    });

  program
    .command('completion')
    .description('print the shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', '\nExamples:\n  agentsight completion bash > ~/.local/share/bash-completion/completions/agentsight\n  agentsight completion fish > ~/.config/fish/completions/agentsight.fish')
    .action((shell: string) => {
      const { completionScript, SHELLS } = require('./completion') as typeof import('./completion');
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UserError(`completion: unknown shell '${shell}' (bash, zsh or fish)`);
      const { commandTree } = require('./command-tree') as typeof import('./command-tree');
      process.stdout.write(completionScript(shell as (typeof SHELLS)[number], commandTree(program)));
    });

  // The man page, generated at build time (make man) from these same definitions.
  program
    .command('man', { hidden: true })
    .action(() => {
      const { commandTree } = require('./command-tree') as typeof import('./command-tree');
      const { manPage } = require('./man-page') as typeof import('./man-page');
      const { packageVersion } = require('./version') as typeof import('./version');
      process.stdout.write(manPage(commandTree(program), packageVersion(), new Date().toISOString().slice(0, 10)));
    });

  // report pulls in its formatters and date-fns: load it only when it can be needed (its command, help, or the
  // generated man page and completions that list its subcommands).
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  if (first === undefined || first === 'report' || first === 'help' || first === 'completion' || first === 'man') {
    const report = require('../report') as ReportModule;
    report.registerReportCommand(program);
  } else {
    program.command('report').description('summaries of recordings: run `agentsight report --help`').allowUnknownOption().helpOption(false);
  }

  try {
    await program.parseAsync(argv, { from: 'node' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(err);
  }
  return exitCode;
}

/** The kernel's BPF ring buffer: a power-of-two multiple of the page size. */
const MIN_RING_BYTES = 4096;

function parseRingBytes(v: string): number {
  const n = parseIntArg(v, '--ring-bytes');
  if (n < MIN_RING_BYTES || (n & (n - 1)) !== 0) throw new UserError(`--ring-bytes must be a power of two of at least ${MIN_RING_BYTES}, got '${v}'`);
  return n;
}

function parseIntArg(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`${name} must be a positive integer, got '${v}'`);
  return n;
}

main(process.argv).then(
  (code) => {
    // A subcommand may have set process.exitCode itself (report): never turn its failure into success.
    process.exitCode = code || process.exitCode || 0;
    if (exitWhenDone) process.exit();
  },
  (err) => {
    process.exitCode = reportError(err);
  },
);
