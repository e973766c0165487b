/**
 * Whether a recording finished, is still being written, or ended without its end (recorder killed, machine down, or
 * the store could not write). The writer stores who is recording (pid, its start time, the boot) and when it last
 * committed; a reader compares that with the processes running now. Every reader asks Store.recordingState(), so
 * `top`, `report` and the JSON outputs give one answer.
 */
import fs from 'node:fs';
import os from 'node:os';

/** meta keys (docs/schema.md). */
export const META_RECORDER_PID = 'recorder_pid';
/** Start time of the recorder process in clock ticks since boot (/proc/PID/stat field 22): a reused pid differs. */
export const META_RECORDER_START = 'recorder_start_ticks';
export const META_RECORDER_BOOT = 'recorder_boot_id';
/**
 * Unix ns before which everything the kernel recorded is in the recording (or counted as lost), as of the recorder's
 * last commit: a recording whose recorder died stops here (capture-runner.ts; native/poll-thread.h marks).
 */
export const META_HEARTBEAT = 'heartbeat_ns';
/** The store failed to write (disk full, I/O error, file removed): the error, and when (Unix ns). */
export const META_STORE_FAILED = 'store_failed';
export const META_STORE_FAILED_NS = 'store_failed_ns';

/** A reader on another machine cannot look for the recorder: a heartbeat this old means it is gone. */
const REMOTE_STALE_NS = 30e9;

export interface RecordingState {
  /**
   * complete: ended normally (end marker written). recording: its recorder is still running. incomplete: no end
   * marker and the recorder is gone, or the store failed during the recording. unknown: written without a recorder
   * identity (builds before it; test fixtures), so it cannot be told.
   */
  state: 'complete' | 'recording' | 'incomplete' | 'unknown';
  /** For incomplete: 'recorder-gone' (killed, crashed, machine down) or 'store-failed'. */
  reason: 'recorder-gone' | 'store-failed' | null;
  /** Incomplete: the recording stops here (Unix ns of the last commit, or of the store failure). Recording: last commit. */
  stoppedAtNs: number | null;
  /** The store's error, for store-failed. */
  detail: string | null;
}

/** Who is recording: written by the recorder at start (meta). */
export function recorderIdentity(): Record<string, string> {
  const id: Record<string, string> = { [META_RECORDER_PID]: String(process.pid) };
  const start = processStartTicks(process.pid);
  if (start !== null) id[META_RECORDER_START] = start;
  const boot = bootId();
  if (boot !== null) id[META_RECORDER_BOOT] = boot;
  return id;
}

/** The state of a recording from its meta, judged now on this machine. */
export function recordingStateOf(meta: Readonly<Record<string, string>>, nowNs = Date.now() * 1e6): RecordingState {
  const heartbeat = num(meta[META_HEARTBEAT]);
  if (meta[META_STORE_FAILED] !== undefined) {
    return { state: 'incomplete', reason: 'store-failed', stoppedAtNs: num(meta[META_STORE_FAILED_NS]) ?? heartbeat, detail: meta[META_STORE_FAILED] ?? null };
  }
  if (meta['end_ns'] !== undefined) return { state: 'complete', reason: null, stoppedAtNs: null, detail: null };
  const pid = num(meta[META_RECORDER_PID]);
  if (pid === null) return { state: 'unknown', reason: null, stoppedAtNs: null, detail: null };
  const stopped = heartbeat ?? num(meta['start_ns']);
  if (recorderAlive(meta, pid, stopped, nowNs)) return { state: 'recording', reason: null, stoppedAtNs: stopped, detail: null };
  return { state: 'incomplete', reason: 'recorder-gone', stoppedAtNs: stopped, detail: null };
}

function recorderAlive(meta: Readonly<Record<string, string>>, pid: number, heartbeatNs: number | null, nowNs: number): boolean {
  const sameMachine = meta['hostname'] === os.hostname() && (meta[META_RECORDER_BOOT] === undefined || meta[META_RECORDER_BOOT] === bootId());
  if (!sameMachine) {
    // Another machine (or this one after a reboot: its boot id changed, and the recorder with it).
    if (meta['hostname'] === os.hostname()) return false;
    return heartbeatNs !== null && nowNs - heartbeatNs < REMOTE_STALE_NS;
  }
  // The recorder reading its own recording (live `top`, once a second): no /proc read for itself.
  const start = pid === process.pid ? (ownStart ??= processStartTicks(pid)) : processStartTicks(pid);
  if (start === null) return false;
  return meta[META_RECORDER_START] === undefined || meta[META_RECORDER_START] === start;
}

function num(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

let ownStart: string | null | undefined;

function processStartTicks(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // After "comm)" (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

let boot: string | null | undefined;
function bootId(): string | null {
  if (boot === undefined) {
    try {
      boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    } catch {
      boot = null;
    }
  }
  return boot;
}
