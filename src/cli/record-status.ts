/**
 * What `record` tells the user about a capture: a one-line status while it runs and the closing summary. Figures
 * come from the store (the same numbers `top` and `report` show).
 *
 * While the agent runs, the status goes to the terminal *title* (an OSC escape on stderr), not into the screen:
 * agents are full-screen terminal programs, and a line drawn among their output would corrupt their display.
 */
import type { RecordingReader } from '../store/store';
import { formatCost, formatCount, formatDuration } from '../present';

export interface CaptureFigures {
  processes: number;
  /** Distinct paths changed (store.filesChanged, the figure every view shows). */
  filesChanged: number;
  fileOps: number;
  llmCalls: number;
  tokens: number;
  costUsd: number | null;
  lost: number;
}

export function captureFigures(store: RecordingReader): CaptureFigures {
  const sessions = store.sessions();
  const sum = (f: (s: (typeof sessions)[number]) => number) => sessions.reduce((a, s) => a + f(s), 0);
  const costs = sessions.map((s) => s.costUsd).filter((c): c is number => c !== null);
  const info = store.info();
  // Calls and tokens from the query report and top use (calls of no session count too).
  const c = store.completeness();
  return {
    processes: info.counts.processes,
    filesChanged: store.filesChanged(),
    fileOps: info.counts.fileOps,
    llmCalls: c.llmCalls,
    tokens: c.tokens,
    costUsd: costs.length ? costs.reduce((a, b) => a + b, 0) : null,
    lost: store.lossTotals().filter((l) => !l.source.endsWith(':clipped') || l.source.startsWith('tls')).reduce((a, l) => a + l.count, 0),
  };
}

/**
 * held: the capture is holding its backlog while the machine is busy (native/yield-policy.cc HoldDecision), so the figures
 * are those of the moment the hold began; they catch up once the machine is quiet or the command exits.
 */
export function statusLine(f: CaptureFigures, elapsedS: number, held = false): string {
  return (
    `agentsight ${formatDuration(elapsedS * 1e9)} · ${f.processes} procs · ${f.filesChanged} files changed · ${f.llmCalls} LLM calls · ` +
    `${formatCount(f.tokens)} tokens · ${formatCost(f.costUsd)}${f.lost ? ` · ${f.lost} LOST` : ''}${held ? ' · counting later (machine busy)' : ''}`
  );
}

/** Terminal title escape; BEL-terminated (understood by xterm, tmux, GNOME Terminal, iTerm2, kitty). */
export function titleEscape(text: string): string {
  return `\x1b]0;${text.replace(/[\x00-\x1f\x7f]/g, ' ')}\x07`;
}
