/** Pure formatters for figures shown by `top` (TUI and --once): durations, clock times, tokens, costs, statuses. */
import os from 'node:os';
import { tokenFigures, type Completeness, type ProcessRow, type RecordingState, type StoredUsage, type TokenFigures } from '../store';

const ERRNO_NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(os.constants.errno)) if (!ERRNO_NAMES.has(num)) ERRNO_NAMES.set(num, name);
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(os.constants.signals)) if (!SIGNAL_NAMES.has(num)) SIGNAL_NAMES.set(num, name);

/** 'ENOENT' for 2 or -2; 'errno 999' when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

/** 'SIGKILL' for 9; 'signal 99' when unknown. */
export function signalName(sig: number): string {
  return SIGNAL_NAMES.get(sig) ?? `signal ${sig}`;
}

/** Compact duration: 850ms, 2.3s, 1m05s, 2h03m, 3d04h. Negative or NaN → '0ms'. */
export function formatDuration(ns: number): string {
  if (!(ns > 0)) return '0ms';
  const ms = ns / 1e6;
  if (ms < 1) return `${Math.round(ns / 1e3)}µs`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)}s`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const totalS = Math.floor(s);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
  if (totalS < 86400) return `${Math.floor(totalS / 3600)}h${String(Math.floor((totalS % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(totalS / 86400)}d${String(Math.floor((totalS % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Same as formatDuration but ASCII only (µs → us). */
export function formatDurationAscii(ns: number): string {
  return formatDuration(ns).replace('µ', 'u');
}

function parts(ns: number, utc: boolean): { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number } {
  const dt = new Date(Math.floor(ns / 1e6));
  return utc
    ? { y: dt.getUTCFullYear(), mo: dt.getUTCMonth() + 1, d: dt.getUTCDate(), h: dt.getUTCHours(), mi: dt.getUTCMinutes(), s: dt.getUTCSeconds(), ms: dt.getUTCMilliseconds() }
    : { y: dt.getFullYear(), mo: dt.getMonth() + 1, d: dt.getDate(), h: dt.getHours(), mi: dt.getMinutes(), s: dt.getSeconds(), ms: dt.getMilliseconds() };
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** HH:MM:SS in local time (or UTC). */
export function formatClock(ns: number, utc = false): string {
  const t = parts(ns, utc);
  return `${p2(t.h)}:${p2(t.mi)}:${p2(t.s)}`;
}

/** HH:MM:SS.mmm in local time (or UTC). */
export function formatClockMs(ns: number, utc = false): string {
  const t = parts(ns, utc);
  return `${p2(t.h)}:${p2(t.mi)}:${p2(t.s)}.${String(t.ms).padStart(3, '0')}`;
}

/** YYYY-MM-DD HH:MM:SS with the zone name (UTC or the local offset). */
export function formatDateTime(ns: number, utc = false): string {
  const t = parts(ns, utc);
  let zone = 'UTC';
  if (!utc) {
    const off = -new Date(Math.floor(ns / 1e6)).getTimezoneOffset();
    zone = off === 0 ? 'UTC' : `${off > 0 ? '+' : '-'}${p2(Math.floor(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
  }
  return `${t.y}-${p2(t.mo)}-${p2(t.d)} ${p2(t.h)}:${p2(t.mi)}:${p2(t.s)} ${zone}`;
}

/** 950, 12.3k, 4.56M. */
/** `1 file`, `2 files`; `many` for irregular plurals. */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 2 : 1).replace(/\.?0+$/, '')}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 2 : 1).replace(/\.?0+$/, '')}M`;
  return `${(n / 1e9).toFixed(1).replace(/\.0$/, '')}G`;
}

/** 512B, 3.4KiB, 12MiB. */
export function formatBytes(n: number): string {
  if (!(n > 0)) return '0B';
  if (n < 1024) return `${n}B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)}${units[i]}`;
}

/**
 * The one cost formatter of every view (docs/figures.md): $0 for nothing spent, four decimals below $1 so small calls
 * do not all read $0.00 ($0.0012), cents from $1 ($12.35). An unknown price prints `$?`, never a made-up zero; with
 * `unknownCalls` > 0 a known sum is a lower bound and gets a `+` ($0.0012+).
 */
export function formatCost(usd: number | null | undefined, unknownCalls = 0): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '$?';
  const text = usd === 0 ? '$0' : usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
  return unknownCalls > 0 ? `${text}+` : text;
}

/**
 * Tokens by kind as every view prints them (docs/figures.md): `in 144 out 12 cache read 72 cache write 72`, where
 * `in` is the uncached prompt tokens only (tokenFigures), so no token is counted twice; zero cache kinds are left out.
 */
export function formatTokens(t: TokenFigures): string {
  return `in ${formatCount(t.inputTokens)} out ${formatCount(t.outputTokens)}` +
    (t.cacheReadTokens > 0 ? ` cache read ${formatCount(t.cacheReadTokens)}` : '') +
    (t.cacheWriteTokens > 0 ? ` cache write ${formatCount(t.cacheWriteTokens)}` : '');
}

/** A call's tokens (stored usage): formatTokens, or `tokens ?` when the call reported no usage. */
export function formatCallTokens(c: StoredUsage): string {
  return c.inputTokens == null && c.outputTokens == null ? 'tokens ?' : formatTokens(tokenFigures(c));
}

/** How a process ended as of atNs: 'exit 3', 'killed SIGKILL', 'killed SIGSEGV (core)', 'running'. */
export function exitStatus(p: ProcessRow, atNs = Number.MAX_VALUE): string {
  if (p.exitNs === null || p.exitNs > atNs) return 'running';
  if (p.exitSignal !== null && p.exitSignal !== 0) return `killed ${signalName(p.exitSignal)}${p.coreDumped ? ' (core)' : ''}`;
  if (p.exitCode !== null) return `exit ${p.exitCode}`;
  return 'exited';
}

/** How long a process ran (until atNs if it was still running then). */
export function processDurationNs(p: ProcessRow, atNs: number): number {
  const end = p.exitNs !== null && p.exitNs <= atNs ? p.exitNs : atNs;
  return Math.max(0, end - p.startNs);
}

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** argv as a shell would need it typed: quoted where needed, so `bash -c 'a && b'` reads as one argument. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (a !== '' && SAFE_ARG.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Where a container's process ran, "[NAME pid N]" (N: its pid inside the container); '' for a host process. */
export function containerLabel(p: Pick<ProcessRow, 'containerName' | 'containerId' | 'nsPid'>): string {
  const name = p.containerName ?? p.containerId?.slice(0, 12);
  if (!name) return '';
  return `[${name}${p.nsPid !== null && p.nsPid !== undefined ? ` pid ${p.nsPid}` : ''}]`;
}

/** The name to show for a process: argv[0]'s basename, else comm. */
export function processName(p: ProcessRow): string {
  const a0 = p.argv[0];
  if (a0) return a0.slice(a0.lastIndexOf('/') + 1) || p.comm;
  return p.comm;
}

/**
 * A completeness verdict in one line, the same on every surface (record's summary, top, --once, report):
 * `complete: 30 of 30 TLS connections decrypted; 30 LLM calls, 1410 tokens; nothing lost` or
 * `INCOMPLETE: 0 of 1 TLS connection decrypted; 0 LLM calls, 0 tokens; not decrypted: tls:not-probed 1 (2.8KiB)`.
 * Counts are exact integers so surfaces can be compared figure by figure.
 */
export function completenessText(c: Completeness): string {
  const notDecrypted = c.tlsNotDecrypted.reduce((n, x) => n + x.connections, 0);
  const parts = [
    `${c.tlsDecrypted} of ${plural(c.tlsDecrypted + notDecrypted, 'TLS connection')} decrypted`,
    `${plural(c.llmCalls, 'LLM call')}, ${plural(c.tokens, 'token')}`,
  ];
  if (c.tlsNotDecrypted.length > 0) {
    parts.push(`not decrypted: ${c.tlsNotDecrypted.map((x) => `${x.reason} ${x.connections} (${formatBytes(x.bytes)})`).join(', ')}`);
  }
  if (c.stoppedEarly) parts.push('the recording stopped before its end');
  if (c.lost.length > 0) parts.push(`lost: ${c.lost.map((l) => `${l.source} ${l.count}${l.bytes > 0 ? ` (${formatBytes(l.bytes)})` : ''}`).join(', ')}`);
  else if (c.complete) parts.push('nothing lost');
  return `${c.complete ? 'complete' : 'INCOMPLETE'}: ${parts.join('; ')}`;
}

/** The completeness verdict in a few words, for the TUI header: `complete`, `INCOMPLETE: 1 TLS not decrypted, 3 lost`. */
export function completenessBadge(c: Completeness): string {
  if (c.complete) return 'complete';
  const notDecrypted = c.tlsNotDecrypted.reduce((n, x) => n + x.connections, 0);
  const lost = c.lost.reduce((n, l) => n + l.count, 0);
  return `INCOMPLETE: ${[notDecrypted > 0 ? `${notDecrypted} TLS not decrypted` : '', lost > 0 ? `${formatCount(lost)} lost` : '', c.stoppedEarly ? 'stopped early' : ''].filter(Boolean).join(', ')}`;
}

/** One line per not-decrypted TLS connection a verdict names (`tls:not-probed: TLS connection to … not decrypted: …`). */
export function notDecryptedLines(c: Completeness): string[] {
  const named = c.tlsNotDecryptedConnections.map((x) => `${x.reason}: ${x.detail ?? `${formatBytes(x.bytes)} not decrypted`}`);
  const total = c.tlsNotDecrypted.reduce((n, x) => n + x.connections, 0);
  if (total > named.length) named.push(`… and ${total - named.length} more`);
  return named;
}

/**
 * How a recording ended, for every reader's header ("Recording: " + this): null when there is nothing to say
 * (finished normally, or written by a build that did not store its recorder). Store.recordingState() decides.
 */
export function recordingStateText(s: RecordingState, startNs: number | null, utc = false): string | null {
  const at = (ns: number | null) => (ns === null ? 'at an unknown time' : `at ${formatClock(ns, utc)}${startNs !== null ? ` (+${formatDuration(ns - startNs)})` : ''}`);
  if (s.state === 'incomplete' && s.reason === 'store-failed') return `incomplete — the store failed ${at(s.stoppedAtNs)}: ${s.detail ?? 'write error'}`;
  if (s.state === 'incomplete') return `incomplete — recorder stopped ${at(s.stoppedAtNs)} without finishing (killed or crashed)`;
  if (s.state === 'recording') return `in progress — last committed ${at(s.stoppedAtNs)}`;
  return null;
}
