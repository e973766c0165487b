/**
 * `agentsight top …` in a detached 120×40 tmux terminal, and what /proc says of it: the benches that measure top at
 * rest (live, tui-bench; replay, startup-bench) start it, find its pid and read its CPU and memory the same way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface TmuxTop {
  pid: number;
  /** Send keys to the terminal (tmux key names). */
  keys(...k: string[]): void;
  /** End the tmux session (and top with it). */
  close(): void;
}

/** Start `node BIN top ARGS` and wait until its key bar (F10) is drawn; throws after timeoutMs. */
export async function startTopInTmux(bin: string, args: string, timeoutMs: number): Promise<TmuxTop> {
  const name = `agentsight-bench-${process.pid}-${Date.now()}`;
  const tmux = (...a: string[]) => execFileSync('tmux', a, { encoding: 'utf8' });
  tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '40', `env LANG=C.UTF-8 TZ=UTC ${process.execPath} ${bin} top ${args}; sleep 60`);
  const close = () => void spawnSync('tmux', ['kill-session', '-t', name]);
  try {
    const pane = tmux('display-message', '-p', '-t', name, '#{pane_pid}').trim();
    const deadline = Date.now() + timeoutMs;
    let pid = 0;
    while (Date.now() < deadline) {
      const r = spawnSync('pgrep', ['-P', pane, '-f', 'agentsight top'], { encoding: 'utf8' });
      pid = Number(r.stdout.trim().split('\n')[0]);
      if (pid && tmux('capture-pane', '-p', '-t', name).includes('F10')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!pid) throw new Error(`top ${args} did not start`);
    return { pid, keys: (...k) => void tmux('send-keys', '-t', name, ...k), close };
  } catch (err) {
    close();
    throw err;
  }
}

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

export function clockTicksPerSecond(): number {
  return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
}

export function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Voluntary context switches (a thread going to sleep: each is one wakeup later) of every thread, by thread id. */
export function threadWakeups(pid: number): Map<number, { nice: number; switches: number }> {
  const out = new Map<number, { nice: number; switches: number }>();
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'));
      out.set(Number(t), { nice, switches: m ? Number(m[1]) : 0 });
    } catch {
      // the thread ended
    }
  }
  return out;
}
