/**
 * Live capture for `agentsight top`: system-wide, recognising agent processes (agents.ts) and tracing their process
 * families, into a private temporary recording. The CLI starts it for `top` and hands the TUI its reader, the same
 * RecordingReader interface a saved recording is read through.
 * Without BPF (no root) it still runs: agent processes come from polling /proc, and status() says what is missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRecording } from '../store';
import type { LiveStatus, RecordingReader } from '../store/store';
import { CaptureRunner } from './capture-runner';
import { Collector, type AgentWatch } from './collector';

/** A running live capture: its recording as it grows, its status, and its one way to end. */
export interface LiveHandle {
  /** The recording being filled, read on the writer's connection: each commit is seen as soon as it is made. */
  readonly reader: RecordingReader;
  /** Path of the live recording (kept after stop when `keep` was asked). */
  readonly path: string;
  /** Commit what was captured so far (before a snapshot; the capture also commits on its own tick). */
  flush(): void;
  stop(): Promise<void>;
  status(): LiveStatus;
}

export interface LiveOptions {
  /** Where to keep the live recording; default a private temporary file removed at stop. */
  db?: string;
  pollMs?: number;
  /**
   * The process exits after stop(): leave the probes' slow release to a child process (BpfCapture.handOff) instead of
   * waiting ~1.7 s for it. Not for a process that lives on: the child holds the probes until this process exits.
   */
  exitAfterStop?: boolean;
  /** `top -p PID` / `top -c NAME`: these processes (and what they start) are the sessions, not the known agents. */
  watch?: AgentWatch;
}

/*
 * The TLS payload ring of live `top`: 16 MiB, not record's 64. The ring's pages are mapped twice into this process
 * (libbpf maps the data area double for wrap-around reads), so 64 MiB was 128 MiB of top's ~230 MiB RSS at rest.
 * 16 MiB still holds ~300 of the largest first requests measured (~49 KB, FIELD-NOTES) between two drains of the
 * poll thread; an overflow is counted (`ringbuf:tls`) and shown.
 */
const LIVE_TLS_RING = 16 << 20;
/** The MCP stdio ring of live `top`, for the same reason (a burst of 1 MiB tool results past it is counted: ringbuf:pipe). */
const LIVE_PIPE_RING = 16 << 20;

export function bootTimeNs(): number {
  const stat = fs.readFileSync('/proc/stat', 'utf8');
  const btime = Number(/^btime (\d+)/m.exec(stat)?.[1] ?? 0);
  return btime * 1e9;
}

export function listPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** Add every running process to the model, oldest first so parents precede children; returns the agents' tgids. */
export function seedRunning(collector: Collector): number[] {
  const boot = bootTimeNs();
  const traced: number[] = [];
  const pids = listPids()
    .map((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return { pid, start: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) };
      } catch {
        return null;
      }
    })
    .filter((x): x is { pid: number; start: number } => x !== null)
    .sort((a, b) => a.start - b.start || a.pid - b.pid);
  for (const { pid } of pids) {
    const row = collector.processes.seedFromProc(pid, boot);
    if (!row) continue;
    collector.adopt(row);
    if (row.sessionId !== null) traced.push(pid);
  }
  return traced;
}

export async function startLiveCapture(opts: LiveOptions = {}): Promise<LiveHandle> {
  const keep = opts.db !== undefined;
  const dbPath = opts.db ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-live-')), 'live.db');
  const store = createRecording(dbPath);
  fs.chmodSync(dbPath, 0o600);
  const watching = [...(opts.watch?.pids ?? []).flatMap((p) => ['-p', String(p)]), ...(opts.watch?.comm !== undefined ? ['-c', opts.watch.comm] : [])];
  store.putMeta('command', JSON.stringify(['agentsight', 'top', ...watching]));
  store.putMeta('start_ns', String(Date.now() * 1e6));
  store.putMeta('scope', 'system');
  store.putMeta('hostname', os.hostname());

  let runner: CaptureRunner | null = null;
  let reason: string | undefined;
  try {
    runner = CaptureRunner.start(store, { mode: 'system', allProcesses: true, watch: opts.watch, tlsRingBytes: LIVE_TLS_RING, pipeRingBytes: LIVE_PIPE_RING });
    for (const pid of seedRunning(runner.collector)) runner.capture.addTraced(pid);
  } catch (err) {
    reason = (err as Error).message.split('\n')[0];
  }

  let poller: NodeJS.Timeout | null = null;
  let fallback: Collector | null = null;
  if (!runner) {
    // No BPF: agents and their process families from /proc, once a second.
    fallback = new Collector(store, { clockOffsetNs: 0, mode: 'system', watch: opts.watch });
    const scan = () => {
      seedRunning(fallback!);
      const alive = new Set(listPids());
      for (const tgid of fallback!.processes.liveTgids()) if (!alive.has(tgid)) fallback!.processes.markGone(tgid, Date.now() * 1e6);
      fallback!.tick();
    };
    // Not an empty capture that looks complete: every reader's losses line says what this view cannot see.
    fallback.loss('capture:no-bpf', 1, 0, `no BPF (${reason}): agents' processes from /proc once a second only; their files, network, short-lived processes and LLM traffic are not captured`);
    scan();
    poller = setInterval(scan, opts.pollMs ?? 1000);
    poller.unref();
  }
  store.putMeta('bpf', runner ? 'yes' : `no: ${reason}`);
  store.flush();

  return {
    reader: store,
    path: dbPath,
    flush: () => store.flush(),
    async stop() {
      if (poller) clearInterval(poller);
      const handOff = opts.exitAfterStop === true;
      if (runner) await runner.stop({ keepOpen: handOff, handOff });
      store.putMeta('end_ns', String(Date.now() * 1e6));
      if (keep) store.finalize();
      store.close();
      if (!keep) fs.rmSync(path.dirname(dbPath), { recursive: true, force: true });
      if (runner && handOff) runner.close({ handOff: true });
    },
    status() {
      const c = runner?.collector ?? fallback;
      const losses = store.lossTotals().reduce((a, l) => a + l.count, 0);
      return { bpf: runner !== null, reason, events: c?.records ?? 0, losses };
    },
  };
}
