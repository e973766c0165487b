/**
 * `agentsight record [--db FILE] -- CMD [ARGS…]`: capture everything CMD and its descendants do, with CMD running as
 * the invoking user and keeping the terminal; exit with CMD's exit status (128+signal when killed).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureRunner } from '../collector/capture-runner';
import { DEFAULT_HOLD_TIMEOUT_MS } from '../collector/tls/exec-hold';
import { carriesTls } from '../collector/tls/discovery/tls-markers';
import { attachEndText, attachFromOptions, attachTitle, waitAttached, type AttachEnd } from '../collector/attach';
import { ContainerScope, ContainerScopeError, findContainer, type ContainerTarget } from '../collector/containers/container-scope';
import { redactArgv } from '../collector/process/redact-command';
import { createPrivateRecording, SIDECARS, StoreError, type SqliteStore } from '../store';
import { isSqliteFailure } from '../store/errors';
import { SpaceReserve } from './space-reserve';
import { UserError } from './fail';
import { captureFigures, type CaptureFigures, statusLine, titleEscape } from './record-status';
import { invokingUser, isRoot, reexecWithSudo, resolveInPath, signalNumber, userEnv, whyNotExecutable } from './privileges';
import type { LiveOtel } from '../export/otel/live-otel';
import { completenessText, formatCost, formatDuration, formatFileStamp, notDecryptedLines, plural } from '../present';
import { printStartupTrace, startupMark } from '../collector/startup-trace';

startupMark('record modules loaded');

export interface RecordOptions {
  db?: string;
  quiet?: boolean;
  /** Event ring size in bytes (tests shrink it to force and observe loss). */
  ringBytes?: number;
  /** -p: attach to these running processes and their descendants. */
  pid?: number[];
  /** -c: attach to processes with this name (running and future) and their descendants. */
  comm?: string;
  /** --duration: with -p/-c and no command, stop after this many seconds. */
  duration?: number;
  /** --binary-path: also run TLS discovery on (and probe) these files. */
  binaryPath?: string[];
  /** --otel / --otel-content: stream to OTLP while recording (src/export/otel/live-otel.ts). */
  otel?: boolean;
  otelContent?: boolean;
  /** false with --no-web: no live web UI (src/web/live-web.ts). */
  web?: boolean;
  /** --container: every process of this container (name or id), running now and started later. */
  container?: string;
}

export async function runRecord(command: string[], opts: RecordOptions, rawArgv: readonly string[]): Promise<number> {
  const attaching = (opts.pid?.length ?? 0) > 0 || opts.comm !== undefined || opts.container !== undefined;
  if (command.length === 0 && !attaching) throw new UserError('record: no command given (usage: agentsight record [--db FILE] [-p PID] [-c COMM] [--container NAME] [-- CMD [ARGS…]])');
  if (opts.duration !== undefined && command.length > 0) throw new UserError('record: --duration applies only to -p/-c/--container without a command (a recorded command ends the recording when it exits)');
  if (!isRoot()) {
    if (process.env['AGENTSIGHT_NO_SUDO'] !== '1') {
      const code = reexecWithSudo(rawArgv);
      if (code !== null) return code;
    }
    throw new UserError('record needs root to load BPF programs (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN): run it with sudo', 1);
  }
  // A SIGTERM during start-up (BPF loading takes seconds) must not kill us before the recording is finalised:
  // remember it and hand it to the command as soon as it exists.
  let termBeforeStart = false;
  const earlyTerm = () => {
    termBeforeStart = true;
  };
  process.on('SIGTERM', earlyTerm);
  const user = invokingUser();
  const env = userEnv(user);
  // The container is found before anything is written: a name that matches nothing leaves no recording behind.
  let container: ContainerTarget | null = null;
  if (opts.container !== undefined) {
    try {
      container = await findContainer(opts.container);
    } catch (err) {
      if (err instanceof ContainerScopeError) throw new UserError(`record: ${err.message}`);
      throw err;
    }
  }
  const resolved = command.length > 0 ? resolveInPath(command[0], env['PATH']) : 'attach';
  if (!resolved) throw new UserError(`${command[0]}: ${command[0].includes('/') ? 'no such file or directory' : 'command not found'}`, 127);
  // Like a shell (126/127), and before a recording exists: a command that can never start leaves none behind.
  const unrunnable = command.length > 0 ? whyNotExecutable(resolved, user) : null;
  if (unrunnable) throw new UserError(`${command[0]}: ${unrunnable.reason}`, unrunnable.status);
  const otel = opts.otel || opts.otelContent ? liveOtel(opts) : null;

  // The user's and 0600 from its first byte, never through a link; a default name already taken (another record
  // started in the same second) moves on to NAME-2.db.
  const wanted = opts.db ?? `agentsight-${formatFileStamp(Date.now())}.db`;
  // Room for the end of the recording should the disk fill (space-reserve.ts); taken first, so the recording cannot
  // take it. Without room for it the recording goes on without one.
  const reserve = SpaceReserve.take(path.dirname(path.resolve(wanted)));
  const startNs = Date.now() * 1e6;
  // Stored and shown redacted (meta, session title, closing line); the command itself runs with what was typed.
  const shownCommand = redactArgv(command);
  let store: SqliteStore | undefined;
  let dbPath = path.resolve(wanted);
  try {
    ({ store, path: dbPath } = createPrivateRecording(wanted, { owner: user, unique: opts.db === undefined }));
    store.putMeta('command', JSON.stringify(shownCommand));
    store.putMeta('start_ns', String(startNs));
    store.putMeta('hostname', os.hostname());
    store.putMeta('kernel', os.release());
    store.putMeta('cwd', process.cwd());
    store.putMeta('uid', String(user.uid));
    store.putMeta('user', user.name ?? String(user.uid));
    store.putMeta('scope', container ? 'container' : 'tree');
    if (container) store.putMeta('container', JSON.stringify({ id: container.id, name: container.name, runtime: container.runtime }));
    store.putMeta('agentsight_version', version());
    // On disk before the command starts: a disk too full for the recording shows here, not mid-run.
    store.flush();
    startupMark('store created');
  } catch (err) {
    reserve?.release();
    const why = cannotStore(err);
    if (why === null || command.length === 0) throw err;
    // The disk is full (or failing): the command is what the user asked for, its recording only comes with it. It runs
    // unrecorded, and this one line says so; nothing of the recording is left behind.
    if (store) removeRecording(dbPath, store);
    console.error(`agentsight: not recording: cannot write ${dbPath} (${why}); running ${command[0]} unrecorded`);
    process.off('SIGTERM', earlyTerm);
    return runUnrecorded(resolved, command, user, env, termBeforeStart);
  }

  let runner: CaptureRunner;
  try {
    runner = CaptureRunner.start(store, {
      mode: 'record',
      title: command.length > 0 ? shownCommand.join(' ') : attachTitle(opts),
      allProcesses: false,
      eventRingBytes: opts.ringBytes,
      onTlsReport: opts.quiet ? undefined : (r) => { if (tlsReportMatters(r)) console.error(`agentsight: ${describeTlsReport(r)}`); },
      // The one line about a failed recording; the command goes on with its terminal (record-faults.test.ts).
      onStoreFailure: (f) =>
        console.error(`agentsight: recording failed: cannot write ${dbPath} (${f.message}); ${command[0] ?? 'the capture'} keeps running, what it does from now on is counted as lost`),
    });
  } catch (err) {
    reserve?.release();
    store.close();
    fs.rmSync(dbPath, { force: true });
    for (const s of ['-wal', '-shm']) fs.rmSync(dbPath + s, { force: true });
    throw err;
  }
  startupMark('collector ready');
  otel?.start(store);
  // Children of this process are traced from their first instruction (the kernel adds them at fork).
  runner.capture.addSeed(process.pid);
  // TLS probes go in before the command starts, so its first request is captured.
  runner.tls.attachSystemLibraries();
  startupMark('TLS: system libraries');
  for (const p of opts.binaryPath ?? []) runner.tls.attachFile(p, 'named by --binary-path', true);
  if (command.length > 0) runner.tls.attachCommand(command[0], env, process.cwd());
  startupMark('TLS: the command');
  let scope: ContainerScope | null = null;
  if (attaching) {
    try {
      const attached = attachFromOptions(runner, opts);
      if (container) {
        scope = new ContainerScope(runner.capture, runner.collector, container);
        attached.push(...scope.start(command.length === 0 && !opts.pid?.length && opts.comm === undefined));
      }
      store.putMeta('attached_pids', JSON.stringify(attached));
    } catch (err) {
      scope?.stop();
      await runner.stop();
      store.close();
      for (const s of ['', '-wal', '-shm']) fs.rmSync(dbPath + s, { force: true });
      throw err;
    }
  }

  // The live web UI, before the command starts; -q (no status lines) also means no web UI: its URL would not be said.
  const web = opts.web === false || opts.quiet ? null : await (await import('../web/live-web')).startLiveWeb(store, (l) => console.error(l));
  if (web) startupMark('live web UI');

  // Like strace and time: the terminal's Ctrl-C / Ctrl-\ reach the command (same process group); we stay to finish.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);

  const argv = command.length === 0 ? { file: '', args: [], argv0: '' } : user.viaSudo ? wrapForUser(resolved, command, user) : { file: resolved, args: command.slice(1), argv0: command[0] };
  // With -p/-c and no command, record until the targets exit, --duration passes, or a signal arrives.
  const child = command.length > 0 ? spawn(argv.file, argv.args, { stdio: 'inherit', env, argv0: argv.argv0 }) : null;
  // The closing line reports how long the command ran, not agentsight's own start-up and finalisation around it.
  const spawnedMs = Date.now();
  startupMark('command spawned');
  // From here on the recorded program gets the CPU first and the collector catches up in the gaps (after the spawn:
  // a child forked by a yielding thread would inherit its nice 19).
  runner.capture.yieldToWorkload(true, child?.pid !== undefined ? { untilExitOf: child.pid } : undefined);
  const forward = (sig: NodeJS.Signals) => () => child?.kill(sig);
  // Our SIGTERM goes to the command; a second one (the command ignored the first) ends it for sure.
  let terms = 0;
  const onTerm = () => child?.kill(++terms > 1 ? 'SIGKILL' : 'SIGTERM');
  const onHup = forward('SIGHUP');
  // Add before removing: with no listener left for a moment, node stops watching the signal and a SIGTERM that
  // arrived during the synchronous start-up (not yet dispatched) would be lost.
  process.on('SIGTERM', onTerm);
  process.off('SIGTERM', earlyTerm);
  process.on('SIGHUP', onHup);
  if (termBeforeStart) onTerm();

  // Live status in the terminal title (not in the agent's screen: see record-status.ts).
  const showStatus = !opts.quiet && process.stderr.isTTY && process.env['TERM'] !== 'dumb';
  // While the capture holds its backlog nothing reaches the store: the last figures stand, and the store is not
  // queried (the hold is there so that agentsight takes no CPU from a busy machine).
  let shown: CaptureFigures | null = null;
  const status = showStatus
    ? setInterval(() => {
        try {
          const held = runner.capture.deliveryStats().holding;
          if (!held || shown === null) shown = captureFigures(store);
          process.stderr.write(titleEscape(statusLine(shown, (Date.now() * 1e6 - startNs) / 1e9, held)));
        } catch {
          // a status that cannot be computed this second is skipped, never fatal
        }
      }, 1000)
    : null;
  status?.unref();

  const exit = child ? await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  }) : await waitAttached(runner.collector, opts);
  const ranMs = Date.now() - spawnedMs;
  startupMark('command exited');
  await web?.close();
  if (status) {
    clearInterval(status);
    process.stderr.write(titleEscape(''));
  }
  runner.capture.removeSeed(process.pid);
  scope?.stop();
  // The probes stay attached (and unread) until the end: then a child process takes over their slow release.
  await runner.stop({ keepOpen: true, handOff: true });
  startupMark('capture stopped (rings drained)');
  const endNs = Date.now() * 1e6;
  const exitCode = exit.error ? ((exit.error as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126) : exit.signal ? 128 + (signalNumber(exit.signal) ?? 1) : exit.code ?? 1;
  // The reserve was only for this: the end rows (and the final checkpoint) get its room.
  reserve?.release();
  const end = { end_ns: String(endNs), exit_code: String(exitCode) };
  if (!runner.storeFailure) {
    try {
      for (const [k, v] of Object.entries(end)) store.putMeta(k, v);
      store.flush();
    } catch (err) {
      if (!isSqliteFailure(err)) throw err;
      runner.fail(err);
    }
  }
  // After a failure: the loss rows, the failure and the end, if even that fits (else the last commit stands).
  const salvaged = runner.storeFailure ? runner.salvage(end) : false;
  if (!runner.storeFailure) {
    try {
      store.finalize();
    } catch (err) {
      // Summaries are a cache and the checkpoint can wait for a reader: the rows and the end marker are committed.
      if (!isSqliteFailure(err)) throw err;
      store.finalizeAfterFailure();
    }
  }
  startupMark('recording finalized');
  const otelEnd = otel ? await otel.finish().catch((err: Error) => ({ line: `otel export failed: ${err.message}`, lost: true })) : null;
  let closing: {
    figures: CaptureFigures;
    losses: ReturnType<SqliteStore['lossTotals']>;
    hold: string | null;
    completeness: ReturnType<SqliteStore['completeness']>;
  } | null = null;
  try {
    closing = {
      figures: captureFigures(store),
      losses: store.lossTotals().filter((l) => !l.source.endsWith(':clipped') || l.source.startsWith('tls')),
      hold: execHoldLine(store.info().meta['exec_hold']),
      completeness: store.completeness(),
    };
  } catch {
    // a store that failed may not even read (file removed): the summary is left out, the exit status is not
  }
  try {
    store.close();
  } catch {
    // closing flushes nothing after a failure; an error here changes nothing on disk
  }
  // The command never started (spawn failed after the checks above): there is nothing to keep.
  if (exit.error) for (const s of ['', ...SIDECARS]) fs.rmSync(dbPath + s, { force: true });
  process.off('SIGINT', ignore);
  process.off('SIGQUIT', ignore);
  process.off('SIGTERM', onTerm);
  process.off('SIGHUP', onHup);

  const what = shownCommand[0] ?? attachTitle(opts);
  if (exit.error) console.error(`agentsight: ${what}: ${exitCode === 127 ? 'no such file or directory' : `cannot execute (${(exit.error as NodeJS.ErrnoException).code ?? exit.error.message})`}`);
  if (!opts.quiet && !exit.error && closing) {
    const { figures, losses, hold, completeness } = closing;
    const lost = figures.lost;
    console.error(
      // An attached process is not ours: say how the recording ended, not an exit status it never had.
      ('ended' in exit
        ? `agentsight: ${what}: ${attachEndText(exit as AttachEnd)}; recorded for ${formatDuration(ranMs * 1e6)}: `
        : `agentsight: ${what} ${exit.signal ? `killed by ${exit.signal}` : `exited ${exitCode}`} after ${formatDuration(ranMs * 1e6)}: `) +
        `${plural(figures.processes, 'process', 'processes')}, ${plural(figures.filesChanged, 'file')} changed (${plural(figures.fileOps, 'file op')}), ` +
        (figures.llmCalls === 0 ? 'no LLM calls' : `${plural(figures.llmCalls, 'LLM call')}, ${plural(figures.tokens, 'token')}, ${formatCost(figures.costUsd)}`),
    );
    console.error(`agentsight: ${lost === 0 ? 'no events lost' : `${lost} events LOST (${losses.map((l) => `${l.source} ${l.count}`).join(', ')})`}`);
    if (hold) console.error(`agentsight: ${hold}`);
    console.error(`agentsight: completeness: ${completenessText(completeness)}`);
    for (const l of notDecryptedLines(completeness)) console.error(`agentsight:   ${l}`);
    if (otelEnd) console.error(`agentsight: ${otelEnd.line}`);
    console.error(runner.storeFailure ? `agentsight: ${salvaged ? 'kept what was recorded before the failure in' : 'could not finish'} ${dbPath}` : `agentsight: wrote ${dbPath}`);
  }
  // The recording is complete and said so. Unregistering the probes takes the kernel ~1.7 s of waiting (a grace
  // period per tracepoint): a child process does it after we exit, so the shell gets its prompt back now.
  runner.close({ handOff: true });
  startupMark('kernel side handed off');
  printStartupTrace();
  return exitCode;
}

/** What the exec hold did (meta exec_hold, docs/architecture.md), for the closing lines; null when it did nothing. */
function execHoldLine(json: string | undefined): string | null {
  if (!json) return null;
  const h = JSON.parse(json) as { held: number; totalMs: number; maxMs: number; notHeld: number; timeouts: number };
  if (h.held === 0 && h.notHeld === 0 && h.timeouts === 0) return null;
  const parts = [`held ${plural(h.held, 'new binary', 'new binaries')} at exec until the TLS probes were in (total ${formatDuration(h.totalMs * 1e6)}, max ${formatDuration(h.maxMs * 1e6)})`];
  if (h.timeouts > 0) parts.push(`${h.timeouts} let go after ${DEFAULT_HOLD_TIMEOUT_MS / 1000} s`);
  if (h.notHeld > 0) parts.push(`${h.notHeld} not held (another process group)`);
  return parts.join('; ');
}

/** Why the store cannot be written (disk full, I/O error), or null for any other error (those are the user's to fix). */
function cannotStore(err: unknown): string | null {
  const cause = err instanceof StoreError ? err.cause : err;
  const code = String((cause as { code?: unknown } | null)?.code ?? '');
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'disk full';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return `I/O error: ${(cause as Error).message.split('\n')[0]}`;
  return null;
}

/** Remove what the failed creation left (we created it: record refuses an existing --db). */
function removeRecording(dbPath: string, store: SqliteStore | undefined): void {
  try {
    store?.close();
  } catch {
    // a store that cannot write may not close cleanly; the files go anyway
  }
  for (const s of ['', '-wal', '-shm', '-journal']) fs.rmSync(dbPath + s, { force: true });
}

/** The command without a recording: same user, terminal and signals as a recorded run; resolves to its exit status. */
async function runUnrecorded(resolved: string, command: string[], user: ReturnType<typeof invokingUser>, env: NodeJS.ProcessEnv, termNow: boolean): Promise<number> {
  const argv = user.viaSudo ? wrapForUser(resolved, command, user) : { file: resolved, args: command.slice(1), argv0: command[0] };
  const child = spawn(argv.file, argv.args, { stdio: 'inherit', env, argv0: argv.argv0 });
  const ignore = () => undefined;
  let terms = 0;
  const onTerm = () => child.kill(++terms > 1 ? 'SIGKILL' : 'SIGTERM');
  const onHup = () => child.kill('SIGHUP');
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  if (termNow) onTerm();
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  for (const [sig, f] of [['SIGINT', ignore], ['SIGQUIT', ignore], ['SIGTERM', onTerm], ['SIGHUP', onHup]] as const) process.off(sig, f);
  if (exit.error) console.error(`agentsight: ${command[0]}: ${exit.error.message}`);
  return exit.error ? 127 : exit.signal ? 128 + (signalNumber(exit.signal) ?? 1) : exit.code ?? 1;
}

/** Run as the invoking user with their supplementary groups (node's uid/gid options would drop those). */
function wrapForUser(resolved: string, command: string[], user: ReturnType<typeof invokingUser>) {
  const setpriv = resolveInPath('setpriv', '/usr/bin:/bin:/usr/sbin:/sbin');
  if (setpriv && user.name) {
    return {
      file: setpriv,
      args: ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', '--', command[0], ...command.slice(1)],
      argv0: 'setpriv',
    };
  }
  throw new UserError('cannot drop privileges to the invoking user: setpriv (util-linux) not found', 1);
}

/**
 * Whether a program's TLS report is worth a line: where its plaintext comes from, or a warning about TLS it carries
 * but cannot be probed. A program without TLS code (sh, bash, env: tls-markers.ts) gets none; its row stays in the
 * recording (top --once lists it under TLS).
 */
export function tlsReportMatters(r: import('../collector/tls/tls-attacher').AttachReport): boolean {
  if (r.attached.length > 0) return true;
  return r.examined.some((t) => t.status === 'error' || t.detail.includes('recognised but not probed') || carriesTls(t.path));
}

/** One line per program: where its TLS plaintext comes from, or a warning naming what was tried. */
export function describeTlsReport(r: import('../collector/tls/tls-attacher').AttachReport): string {
  if (r.attached.length > 0) {
    return `TLS of ${r.program}: ${r.attached
      .map((t) => `${t.stack} in ${t.path} (${probeNames((JSON.parse(t.probes) as Array<{ name: string; error?: string }>).filter((p) => !p.error).map((p) => p.name))})`)
      .join('; ')}`;
  }
  const tried = r.examined
    .map((t) => `${t.path}: ${t.detail.split('\n').filter((l) => l && !/^(time|file|cache):/.test(l)).slice(-2).join(', ')}`)
    .join('; ');
  return `warning: no TLS plaintext will be captured from ${r.program}: no supported TLS stack found (${tried || 'nothing to examine'})`;
}

/** Probe names for the one-line report; Go's per-RET probes (`F+0x3d2`) are counted after their function's name. */
function probeNames(names: string[]): string {
  const rets = new Map<string, number>();
  const out: string[] = [];
  for (const n of names) {
    const m = /^(.*)\+0x[0-9a-f]+$/.exec(n);
    if (m) rets.set(m[1], (rets.get(m[1]) ?? 0) + 1);
    else out.push(n);
  }
  return out.map((n) => (rets.has(n) ? `${n} and its ${rets.get(n)} RETs` : n)).join(', ');
}

/** The OTLP stream of --otel, its variables checked before anything is recorded (loaded only then: ~OTel SDK). */
function liveOtel(opts: RecordOptions): LiveOtel {
  const { prepareLiveOtel } = require('../export/otel/live-otel') as typeof import('../export/otel/live-otel');
  try {
    return prepareLiveOtel(process.env, { content: Boolean(opts.otelContent), hostName: os.hostname(), version: version() });
  } catch (err) {
    throw new UserError(`record --otel: ${(err as Error).message}`);
  }
}

function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
