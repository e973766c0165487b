/**
 * `agentsight monitor …` on the command line: the always-on collector (src/monitor/monitor.ts) and its service
 * commands. Options are declared once, on `monitor`, and read by the subcommands with optsWithGlobals(), so
 * `install-service` writes the same options into the unit's ExecStart.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { UserError } from './fail';

/** privileges.ts loads child_process: only when a monitor command runs (this file is loaded at every start). */
function isRoot(): boolean {
  return (require('./privileges') as typeof import('./privileges')).isRoot();
}

interface MonitorCliOptions {
  dir?: string;
  user?: string[];
  agent?: string[];
  keepDays?: number;
  maxSize?: number;
  otel?: boolean;
  otelContent?: boolean;
  json?: boolean;
  dryRun?: boolean;
  unitDir?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerMonitorCommand(program: Command, done: (code: number) => void): void {
  const monitor = program
    .command('monitor')
    .description('record every agent session on this machine, always (root; run by the service): weekly recordings per user')
    .option('--dir <dir>', 'where the recordings are kept (default /var/lib/agentsight; readers: AGENTSIGHT_MONITOR_DIR)')
    .option('--user <name>', 'record the agents of this user (repeatable; default: root and every login user)', collect)
    .option('--agent <name>', 'also recognise this program as an agent (repeatable; besides the built-in table)', collect)
    .option('--keep-days <n>', 'remove weeks that ended more than this many days ago (default 90)', (v) => positiveInt(v, '--keep-days'))
    .option('--max-size <size>', 'remove the oldest weeks while all recordings together exceed this (default 4G; K, M, G, T)', parseSize)
    .option('--otel', 'also stream each session to OpenTelemetry (OTEL_* variables; docs/otel.md)')
    .option('--otel-content', 'with --otel: include prompts, responses and tool arguments/results')
    .addHelpText('after', '\nExamples:\n  sudo agentsight monitor install-service\n  agentsight monitor status\n  agentsight report --monitor\n  sudo agentsight monitor --dir /srv/agentsight --agent my-agent\n\nSee docs/monitor.md.')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<MonitorCliOptions>();
      if (!isRoot()) throw new UserError('monitor needs root to load BPF programs: run it as the service (sudo agentsight monitor install-service) or with sudo', 1);
      const m = await import('../monitor/monitor');
      const { DEFAULT_RETENTION } = await import('../monitor/retention');
      const users = o.user?.length ? o.user.map((u) => m.lookupUser(u) ?? badUser(u)) : m.passwdUsers();
      const version = (require('./version') as typeof import('./version')).packageVersion();
      const otel = o.otel || o.otelContent ? otelFactory(Boolean(o.otelContent), version) : undefined;
      const { MonitorDirError } = await import('../monitor/monitor-paths');
      const running = m.runMonitor({
          dir: o.dir ?? (await import('../monitor/monitor-paths')).DEFAULT_MONITOR_DIR,
          users,
          followPasswd: !o.user?.length,
          agents: o.agent ?? [],
          retention: { maxAgeDays: o.keepDays ?? DEFAULT_RETENTION.maxAgeDays, maxBytes: o.maxSize ?? DEFAULT_RETENTION.maxBytes },
          version,
          otel,
          log: (l) => console.error(`agentsight monitor: ${l}`),
        });
      done(
        await running.catch((err: unknown) => {
          throw err instanceof MonitorDirError ? new UserError(err.message, 1) : err;
        }),
      );
    });

  monitor
    .command('install-service')
    .description('install and start a systemd unit that runs the monitor from boot (with the monitor options given)')
    .option('--dry-run', 'print the unit instead of installing it')
    .option('--unit-dir <dir>', 'where to write the unit (default /etc/systemd/system)')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<MonitorCliOptions>();
      const svc = require('../monitor/service') as typeof import('../monitor/service');
      const unit = svc.unitText({ node: process.execPath, launcher: svc.installedLauncher(), docs: svc.installedDocs(), args: monitorArgs(o) });
      if (o.dryRun) {
        process.stdout.write(unit);
        return done(0);
      }
      if (!isRoot() && o.unitDir === undefined) throw new UserError('install-service needs root (it writes /etc/systemd/system): run it with sudo', 1);
      svc.installService(unit, o.unitDir ?? svc.UNIT_DIR, (l) => console.error(`agentsight: ${l}`));
      done(0);
    });

  monitor
    .command('uninstall-service')
    .description('stop, disable and remove the monitor\'s systemd unit (recordings are kept)')
    .option('--unit-dir <dir>', 'where the unit is (default /etc/systemd/system)')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<MonitorCliOptions>();
      const svc = require('../monitor/service') as typeof import('../monitor/service');
      if (!isRoot() && o.unitDir === undefined) throw new UserError('uninstall-service needs root: run it with sudo', 1);
      if (!svc.uninstallService(o.unitDir ?? svc.UNIT_DIR, (l) => console.error(`agentsight: ${l}`))) {
        throw new UserError(`uninstall-service: no ${svc.UNIT_NAME} in ${o.unitDir ?? svc.UNIT_DIR}`, 1);
      }
      done(0);
    });

  monitor
    .command('status')
    .description('is the monitor running, since when, sessions this week, disk used, losses (exit 3 when not running)')
    .option('--json', 'print JSON')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<MonitorCliOptions>();
      const paths = require('../monitor/monitor-paths') as typeof import('../monitor/monitor-paths');
      const { monitorStatus, statusText } = require('../monitor/status') as typeof import('../monitor/status');
      const { invokingUser } = require('./privileges') as typeof import('./privileges');
      const dir = o.dir ?? paths.monitorDir();
      const now = paths.monitorNow();
      const r = monitorStatus(dir, invokingUser().uid, now);
      process.stdout.write(o.json ? JSON.stringify(r, null, 1) + '\n' : statusText(r, now));
      // systemctl's convention (LSB): 3 = not running.
      done(r.running ? 0 : 3);
    });
}

/** The monitor options as they go into the unit's ExecStart. */
function monitorArgs(o: MonitorCliOptions): string[] {
  const a: string[] = [];
  if (o.dir !== undefined) a.push('--dir', require('node:path').resolve(o.dir));
  for (const u of o.user ?? []) a.push('--user', u);
  for (const g of o.agent ?? []) a.push('--agent', g);
  if (o.keepDays !== undefined) a.push('--keep-days', String(o.keepDays));
  if (o.maxSize !== undefined) a.push('--max-size', String(o.maxSize));
  if (o.otel) a.push('--otel');
  if (o.otelContent) a.push('--otel-content');
  return a;
}

function otelFactory(content: boolean, version: string) {
  const { prepareLiveOtel } = require('../export/otel/live-otel') as typeof import('../export/otel/live-otel');
  const make = () => {
    try {
      return prepareLiveOtel(process.env, { content, hostName: os.hostname(), version });
    } catch (err) {
      throw new UserError(`monitor --otel: ${(err as Error).message}`);
    }
  };
  make(); // the variables are checked now, not at the first session
  return make;
}

function badUser(u: string): never {
  throw new UserError(`monitor: no user '${u}' on this machine`);
}

function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`${name} must be a positive integer, got '${v}'`);
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `4G`, `500M`, `1.5T`, `1048576` → bytes (binary units; a trailing B or iB is allowed). */
export function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]! : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--max-size must be a size such as 500M or 4G, got '${v}'`);
  return Math.floor(n);
}

/** `top --monitor`: the newest of the caller's monitor recordings of this week (a restart starts a new one). */
export function monitorDbForTop(): string {
  const paths = require('../monitor/monitor-paths') as typeof import('../monitor/monitor-paths');
  const { invokingUser } = require('./privileges') as typeof import('./privileges');
  const { isoWeekOf } = require('../monitor/iso-week') as typeof import('../monitor/iso-week');
  const dir = paths.monitorDir();
  const uid = invokingUser().uid;
  const files = paths.weekSegments(dir, uid, isoWeekOf(paths.monitorNow()));
  if (files.length === 0) throw new UserError(`top --monitor: no monitor recording of yours this week in ${paths.userDir(dir, uid)} (is the monitor running? \`agentsight monitor status\`)`, 1);
  return files[files.length - 1]!;
}

/**
 * Plain live `top` run by a user who is not root while the monitor runs: the monitor already captures that user's
 * agents, so `top` shows the user's recording of this week (followed as it grows) instead of asking for sudo to load
 * probes of its own. null: root (whose live view covers every process of the machine, which the monitor's per-user
 * recordings do not), no monitor running, or no recording of the user's yet.
 */
export function monitorViewForLiveTop(): string | null {
  if (isRoot()) return null;
  const paths = require('../monitor/monitor-paths') as typeof import('../monitor/monitor-paths');
  const { monitorStatus } = require('../monitor/status') as typeof import('../monitor/status');
  const { isoWeekOf } = require('../monitor/iso-week') as typeof import('../monitor/iso-week');
  const dir = paths.monitorDir();
  const uid = process.getuid?.() ?? 0;
  const now = paths.monitorNow();
  if (!monitorStatus(dir, uid, now).running) return null;
  const files = paths.weekSegments(dir, uid, isoWeekOf(now));
  return files.length ? files[files.length - 1]! : null;
}

/**
 * `top --monitor`, interactive: the monitor's recording of this week, followed as it grows (a live view over a
 * reader, as live `top` shows its own capture). The recording's losses are its loss rows, which the view already
 * counts: the status adds none.
 */
export async function runTopMonitor(tui: { runTop(o: import('../tui/types').TopOptions): Promise<number> }, opts: import('../tui/types').TopOptions, file: string): Promise<number> {
  const { openRecording } = require('../store') as typeof import('../store');
  const reader = openRecording(file);
  try {
    return await tui.runTop({ ...opts, db: undefined, reader, live: { status: () => ({ bpf: true, events: 0, losses: 0 }) } });
  } finally {
    reader.close();
  }
}
