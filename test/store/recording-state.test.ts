// Store.recordingState(): complete, in progress, or ended without its end — judged from meta and the processes
// running now. Real processes: a child that is alive, then killed (its pid and start time in meta, as the recorder
// writes them).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { recorderIdentity, recordingStateOf } from '../../src/store/recording-state';

const host = os.hostname();

describe('recording state', () => {
  const me = { ...recorderIdentity(), hostname: host, start_ns: '1000', heartbeat_ns: '5000' };

  it('has an end marker: complete', () => {
    expect(recordingStateOf({ ...me, end_ns: '9000' }).state).toBe('complete');
  });

  it('recorder still running (this process): in progress, as of its last commit', () => {
    expect(recordingStateOf(me)).toEqual({ state: 'recording', reason: null, stoppedAtNs: 5000, detail: null });
  });

  it('recorder killed: incomplete, stopping at its last commit', async () => {
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.on('spawn', r));
    const stat = (await import('node:fs')).readFileSync(`/proc/${child.pid}/stat`, 'latin1');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    const meta = { ...me, recorder_pid: String(child.pid), recorder_start_ticks: start };
    expect(recordingStateOf(meta).state).toBe('recording');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(recordingStateOf(meta)).toEqual({ state: 'incomplete', reason: 'recorder-gone', stoppedAtNs: 5000, detail: null });
  });

  it('a live process that reuses the pid is not the recorder (start time differs)', () => {
    expect(recordingStateOf({ ...me, recorder_start_ticks: '1' }).state).toBe('incomplete');
  });

  it('another boot of this machine: the recorder is gone whatever runs under its pid now', () => {
    expect(recordingStateOf({ ...me, recorder_boot_id: 'another-boot' }).state).toBe('incomplete');
  });

  it('another machine: judged by the age of the last commit', () => {
    const now = 100e9;
    expect(recordingStateOf({ ...me, hostname: 'elsewhere', heartbeat_ns: String(now - 1e9) }, now).state).toBe('recording');
    expect(recordingStateOf({ ...me, hostname: 'elsewhere', heartbeat_ns: String(now - 60e9) }, now).state).toBe('incomplete');
  });

  it('the store failed: incomplete at the failure, even with an end marker', () => {
    expect(recordingStateOf({ ...me, end_ns: '9000', store_failed: 'SQLITE_FULL: database or disk is full', store_failed_ns: '4000' })).toEqual({
      state: 'incomplete',
      reason: 'store-failed',
      stoppedAtNs: 4000,
      detail: 'SQLITE_FULL: database or disk is full',
    });
  });

  it('no recorder identity (older builds, fixtures): unknown, nothing said', () => {
    expect(recordingStateOf({ start_ns: '1000' }).state).toBe('unknown');
  });
});
