// The agent under `record` behaves as without it: in a real terminal (tmux) it gets the keys typed and the window
// size; our own SIGTERM reaches it and the recording is still finalised and readable.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, describeBpf } from '../helpers/bpf-env';

let dir: string;
const session = `as-rec-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

async function waitFor(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeBpf('record keeps the terminal and signals', [], () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-term-'));
  });
  afterAll(() => {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an interactive program gets typed keys and the window size', async () => {
    const db = path.join(dir, 'tty.db');
    const out = path.join(dir, 'out.txt');
    const script = `stty size > ${out}; read -r line; echo "got:$line" >> ${out}; echo done-reading`;
    tmux('new-session', '-d', '-s', session, '-x', '97', '-y', '31', `${process.execPath} ${CLI} record --db ${db} -- bash -c '${script}'; sleep 30`);
    await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes(' '), 'stty size');
    tmux('send-keys', '-t', session, 'typed by a person', 'Enter');
    await waitFor(() => fs.readFileSync(out, 'utf8').includes('got:'), 'the line read');
    const text = fs.readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('31 97');
    expect(text).toContain('got:typed by a person');
    await waitFor(() => tmux('capture-pane', '-p', '-t', session).includes('wrote'), 'record summary');
    const pane = tmux('capture-pane', '-p', '-t', session);
    expect(pane).toContain('done-reading');
    const d = new Database(db, { readonly: true });
    const procs = d.prepare("SELECT argv FROM processes WHERE argv LIKE '%stty%'").all();
    d.close();
    expect(procs.length).toBeGreaterThanOrEqual(1);
  });

  it('SIGTERM to record reaches the command, and the recording is finalised', async () => {
    const db = path.join(dir, 'term.db');
    const c = spawn(process.execPath, [CLI, 'record', '--db', db, '--', 'sleep', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    await waitFor(() => {
      try {
        // this record's own child, not any other sleep on the machine
        return execFileSync('pgrep', ['-P', String(c.pid), '-x', 'sleep'], { encoding: 'utf8' }).trim().length > 0;
      } catch {
        return false;
      }
    }, 'sleep to start');
    c.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => c.on('exit', (x) => r(x)));
    expect(code).toBe(143);
    expect(stderr).toContain('killed by SIGTERM');
    expect(fs.existsSync(db + '-wal')).toBe(false);
    const d = new Database(db, { readonly: true });
    const sleep = d.prepare("SELECT exit_signal FROM processes WHERE comm = 'sleep'").get() as { exit_signal: number };
    const meta = d.prepare("SELECT value FROM meta WHERE key = 'exit_code'").get() as { value: string };
    d.close();
    expect(sleep.exit_signal).toBe(15);
    expect(meta.value).toBe('143');
  });
});
