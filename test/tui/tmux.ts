/** Drive the real `agentsight top` in a real terminal (tmux): start, send keys, capture, poll for text. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Build dist/ when any TUI source is newer than its output (the e2e tests run the compiled CLI). */
export function ensureBuilt(): void {
  const newest = (d: string): number =>
    fs.readdirSync(d, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(d, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  const out = path.join(ROOT, 'dist', 'tui', 'index.js');
  const srcTime = Math.max(...['tui', 'store', 'present'].map((d) => newest(path.join(ROOT, 'src', d))));
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < srcTime || !fs.existsSync(path.join(ROOT, 'dist', 'cli', 'index.js'))) {
    // tsc exits non-zero when other areas have type errors; it still emits, which is all the CLI needs.
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      // checked below
    }
  }
  if (!fs.existsSync(out)) throw new Error('dist/tui/index.js was not built');
}

let counter = 0;

export class TmuxSession {
  readonly name = `agentsight-tui-${process.pid}-${counter++}`;

  constructor(readonly command: string, readonly width = 120, readonly height = 40, readonly env: Record<string, string> = {}) {
    const envs = Object.entries({ TZ: 'UTC', LANG: 'C.UTF-8', ...env }).map(([k, v]) => `${k}=${v}`);
    // The trailing marker and sleep keep the pane open after top exits, so the restored terminal can be inspected.
    const script = `cd ${ROOT} && env ${envs.join(' ')} ${command}; echo __EXIT__$?; sleep 600`;
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(width), '-y', String(height), script]);
  }

  capture(): string[] {
    const out = execFileSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
    return out.replace(/\n$/, '').split('\n');
  }

  /** tmux format variables of the pane (alternate_on, cursor_flag …). */
  display(format: string): string {
    return execFileSync('tmux', ['display-message', '-p', '-t', this.name, format], { encoding: 'utf8' }).trim();
  }

  keys(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  /** Type text literally (no key-name lookup). */
  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-l', '-t', this.name, text]);
  }

  resize(width: number, height: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.name, '-x', String(width), '-y', String(height)]);
  }

  /** Poll the screen until `pred` holds; returns the screen. Throws with the last screen on timeout. */
  async waitFor(pred: (lines: string[], text: string) => boolean, what: string, timeoutMs = 15_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = this.capture();
      if (pred(lines, lines.join('\n'))) return lines;
      await new Promise((r) => setTimeout(r, 80));
    }
    throw new Error(`timed out waiting for ${what}; screen was:\n${lines.join('\n')}`);
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name]);
  }
}

/**
 * Quit each top the way a user does before closing its terminal (Esc Esc q; the wrapper prints __EXIT__), then close
 * the terminal. Empties the list. Live capture takes a moment to stop: give it a longer timeout.
 */
export async function quitAll(sessions: TmuxSession[], timeoutMs = 15_000): Promise<void> {
  for (const s of sessions.splice(0)) {
    try {
      if (!s.capture().some((l) => l.includes('__EXIT__'))) {
        s.keys('Escape', 'Escape', 'q');
        await s.waitFor((l) => l.some((x) => x.includes('__EXIT__')), 'exit', timeoutMs);
      }
    } finally {
      s.kill();
    }
  }
}
