import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording, openRecording, StoreError } from '../../src/store';
import { buildOnceReport } from '../../src/tui/once-report';
import { renderOnceJson } from '../../src/tui/once-json';
import { encodeLines, renderOnceText } from '../../src/tui/once-text';
import { formatCost, strWidth } from '../../src/present';
import { runTop } from '../../src/tui';
import { buildShellRecording, buildSubshellRecording, MS, T0, tempDir } from './helpers';
import { T0 as FIXTURE_T0, writeFixtureRecording } from '../report/fixture-recording';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'agentsight');

let dir: string;
let plain: string;
let withSession: string;

beforeAll(() => {
  process.env.TZ = 'UTC';
  dir = tempDir();
  plain = path.join(dir, 'plain.db');
  withSession = path.join(dir, 'session.db');
  buildShellRecording(plain);
  buildShellRecording(withSession, true);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function text(file: string, width = 120, atNs?: number, ascii = false): string {
  const store = openRecording(file);
  try {
    return renderOnceText(buildOnceReport(store, atNs), { width, ascii, utc: true });
  } finally {
    store.close();
  }
}

describe('top --once text', () => {
  it('shows the recorded process tree with argv, cwd, exit statuses and the failed exec', () => {
    const out = text(plain);
    const lines = out.split('\n');
    const bash = lines.findIndex((l) => /^ {2}4100 bash -c/.test(l));
    expect(bash).toBeGreaterThan(0);
    expect(lines[bash]).toContain('exit 7');
    expect(lines[bash + 1]).toMatch(/^ {2}├─ 4101 mkdir -p \/tmp\/a1 +exit 0/);
    expect(lines[bash + 2]).toMatch(/├─ 4102 \/bin\/echo hi +exit 0 .*cwd \/tmp\/a1$/);
    expect(lines[bash + 3]).toMatch(/└─ 4103 sh -c 'exit 3' +exit 3 /);
    expect(lines[bash + 4]).toContain('exec failed ENOENT: nope --x (/usr/bin/nope)');
    expect(lines[bash + 5]).toMatch(/^ {5}└─ 4104 sleep 100 +killed SIGKILL/);
    expect(out).not.toContain('command:'); // shown once, as the root of the tree
    expect(out).toContain('losses: 12 lost: ringbuf:events 12');
    expect(out).toContain('TLS /usr/bin/node: found openssl');
    expect(out).toContain('TLS /opt/bunny: TLS not found');
    // One TLS line before the sessions; each binary's discovery report after them (issue 22: no opening probe lines).
    const head = lines.findIndex((l) => l.startsWith('TLS: '));
    expect(lines[head]).toBe('TLS: probes in node (openssl); no TLS stack in bunny (details at the end)');
    expect(lines.findIndex((l) => l.startsWith('TLS /'))).toBeGreaterThan(bash);
    expect(lines.slice(0, bash).filter((l) => l.startsWith('TLS'))).toHaveLength(1);
    expect(out).toContain('files changed: 1 (1 change: created 1, modified 0, deleted 0, renamed 0)');
    expect(out).toMatch(/created +\/tmp\/a1 +mkdir +by 4101/);
  });

  it('wraps a session\'s facts between facts at a narrow width: the cost is never cut off', () => {
    const file = path.join(dir, 'facts.db');
    writeFixtureRecording(file);
    const store = openRecording(file);
    try {
      const r = buildOnceReport(store);
      for (const width of [60, 80, 100]) {
        const lines = renderOnceText(r, { width, utc: true }).split('\n');
        for (const s of r.sessions.filter((d) => d.summary)) {
          const at = lines.findIndex((l) => l.includes(`session ${s.sessionId} `));
          const facts = lines.slice(at + 1, lines.findIndex((l, i) => i > at && l.startsWith('completeness:'))).join(' ');
          expect(facts, `width ${width}`).toContain(` ${formatCost(s.summary!.llmCalls === 0 ? 0 : s.summary!.costUsd)} `);
          expect(facts).toMatch(/losses \d+$/);
          // At 60 columns one fact alone (the token breakdown) can be wider than a line: only that one is cut.
          if (width >= 80) expect(facts).not.toContain('…');
        }
        expect(lines.every((l) => strWidth(l) <= width)).toBe(true);
      }
    } finally {
      store.close();
    }
  });

  it('says how many changes and destinations a cut list leaves out, counted exactly', () => {
    const file = path.join(dir, 'cut.db');
    writeFixtureRecording(file);
    const store = openRecording(file);
    try {
      const r = buildOnceReport(store, undefined, { processes: 50, files: 1, net: 1, llmCalls: 50 });
      const out = renderOnceText(r, { width: 160, utc: true });
      const s = r.sessions.find((d) => d.sessionId === 1)!;
      const changes = store.fileChanges({ sessionId: 1 });
      const dests = store.netDestinations({ sessionId: 1 });
      expect(changes.length).toBeGreaterThan(1);
      expect(dests.length).toBeGreaterThan(1);
      expect(s.fileChanges).toHaveLength(1);
      expect(s.fileChangeTotal).toBe(changes.length);
      expect(s.netDestTotal).toBe(dests.length);
      expect(out).toContain(`files changed: ${new Set(changes.map((c) => c.path)).size} (${changes.length} changes: `);
      expect(s.filesChanged).toBe(new Set(changes.map((c) => c.path)).size);
      expect(out).toContain(`  … ${changes.length - 1} more changes not listed`);
      expect(out).toContain(`network: ${dests.length} destinations`);
      expect(out).toContain(`  … ${dests.length - 1} more destinations not listed`);
      const json = JSON.parse(renderOnceJson(r)) as { sessions: Array<{ fileChangeCount: number; networkDestinationCount: number }> };
      expect(json.sessions.map((x) => x.fileChangeCount)).toEqual(r.sessions.map((d) => d.fileChangeTotal));
      expect(json.sessions.map((x) => x.networkDestinationCount)).toEqual(r.sessions.map((d) => d.netDestTotal));
    } finally {
      store.close();
    }
  });

  it('lists the surest few effects of a tool call and counts the rest; JSON keeps them all', () => {
    const file = path.join(dir, 'effects.db');
    writeFixtureRecording(file);
    // Tool call 1 ("npm test") also started 20 processes in its window (a login shell's start-up, say) and its
    // own process wrote a file: the write (95%) must be listed before the window's processes (60%).
    const st = createRecording(file, 'readwrite');
    const S = 1_000_000_000;
    for (let i = 0; i < 20; i++) {
      st.putProcess({
        id: 100 + i, pid: 5000 + i, ppid: 4002, parentId: 2, sessionId: 1, startNs: FIXTURE_T0 + 12 * S + (10 + i) * MS, kstartNs: 1, uid: 1000, comm: 'sh',
        exe: '/bin/sh', argv: ['sh', '-c', `step ${i}`], argvClipped: false, cwd: '/', execNs: null, exitNs: FIXTURE_T0 + 13 * S, exitCode: 0, exitSignal: null,
        coreDumped: false, seeded: false, peakRssKb: null, containerId: null, containerName: null, nsPid: null,
      });
      st.addCausalLink({ id: 100 + i, toolCallId: 1, targetKind: 'process', targetId: 100 + i, method: 'lineage+window', confidence: 0.6 });
    }
    st.addCausalLink({ id: 200, toolCallId: 1, targetKind: 'file_op', targetId: 2, method: 'via-process', confidence: 0.95 });
    st.flush();
    st.finalize();
    st.close();
    const store = openRecording(file);
    try {
      const r = buildOnceReport(store);
      const out = renderOnceText(r, { width: 160, utc: true });
      const lines = out.split('\n');
      const tool = lines.findIndex((l) => l.includes('Bash') && l.includes('npm test'));
      const end = lines.findIndex((l, i) => i > tool && !l.startsWith('      '));
      const effects = lines.slice(tool + 1, end);
      expect(effects.filter((l) => l.includes('→')), out).toHaveLength(8);
      expect(effects.some((l) => l.includes('file op write /home/dev/app/coverage/index.html  (via-process, 95%)'))).toBe(true);
      expect(effects.some((l) => l.includes('process 4002 bash -c') && l.includes('95%'))).toBe(true);
      expect(out).toContain('      … 14 more not listed (21 processes, 1 file op in all)');
      const json = JSON.parse(renderOnceJson(r)) as { sessions: Array<{ llmCalls: Array<{ toolCalls: Array<{ id: number; effects: unknown[] }> }> }> };
      const t1 = json.sessions.flatMap((x) => x.llmCalls).flatMap((c) => c.toolCalls).find((t) => t.id === 1)!;
      expect(t1.effects).toHaveLength(22);
    } finally {
      store.close();
    }
  });

  it('counts quiet subshells (fork, no exec, exit 0, nothing below) on their parent line; JSON lists every process', () => {
    const file = path.join(dir, 'subshells.db');
    buildSubshellRecording(file);
    const out = text(file, 120);
    const lines = out.split('\n');
    const root = lines.find((l) => /^ {2}5001 bash rc\.sh/.test(l))!;
    // 5002, 5003, and 5004 with its quiet child 5005: four; 5006 exited 1, 5007 still runs, 5008 has a program below.
    expect(root).toMatch(/exit 0 +90ms +\+4 subshells/);
    for (const pid of [5002, 5003, 5004, 5005]) expect(out).not.toContain(` ${pid} `);
    for (const pid of [5006, 5007, 5008, 5009]) expect(out).toContain(` ${pid} `);
    expect(out).toMatch(/5006 \[bash\] +exit 1/);
    expect(out).toContain('processes: 9');
    const store = openRecording(file);
    try {
      const json = JSON.parse(renderOnceJson(buildOnceReport(store))) as { sessions: Array<{ processes: Array<{ pid: number }> }> };
      expect(json.sessions.flatMap((x) => x.processes).map((p) => p.pid).sort()).toEqual([5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008, 5009]);
      // As of +15 ms, 5007 (started at +20) does not exist yet and 5004/5005 have exited: still four folded.
      expect(renderOnceText(buildOnceReport(store, T0 + 15 * MS), { width: 120, utc: true })).toMatch(/5001 bash rc\.sh .*\+4 subshells/);
      // As of +7 ms, 5004 is still running: folded are 5002, 5003 (and 5005, exited below a listed parent: +1 there).
      const early = renderOnceText(buildOnceReport(store, T0 + 7 * MS), { width: 120, utc: true });
      expect(early).toMatch(/5001 bash rc\.sh .*\+2 subshells/);
      expect(early).toMatch(/5004 \[bash\] +running .*\+1 subshell/);
    } finally {
      store.close();
    }
  });

  it('shows the state as of an earlier moment', () => {
    const out = text(withSession, 120, T0 + 35 * MS);
    expect(out).toMatch(/4100 bash .* running +35ms/);
    expect(out).toMatch(/4103 sh -c 'exit 3' +running/);
    expect(out).toContain('losses: none');
    const early = text(withSession, 120, T0 + 15 * MS);
    expect(early).not.toContain('4102');
    expect(early).toContain('mkdir -p /tmp/a1');
  });

  it('fits every line into narrow widths and keeps the exit status visible', () => {
    for (const width of [40, 60, 80, 200]) {
      const out = text(withSession, width);
      for (const line of out.split('\n')) expect(strWidth(line)).toBeLessThanOrEqual(width);
      expect(out).toContain('exit 3');
      expect(out).toContain('killed SIGKILL');
    }
  });

  it('is deterministic and free of escape codes; --ascii output is pure ASCII', () => {
    const a = text(withSession);
    expect(text(withSession)).toBe(a);
    expect(a).not.toMatch(/\x1b/);
    const ascii = text(withSession, 80, undefined, true);
    expect(ascii).toMatch(/^[\x0a\x20-\x7e]*$/);
    expect(ascii).toContain('`- 4103 sh');
  });

  it('prints JSON with the same facts', () => {
    const store = openRecording(withSession);
    const json = JSON.parse(renderOnceJson(buildOnceReport(store)));
    store.close();
    expect(json.sessions).toHaveLength(1);
    const procs = json.sessions[0].processes;
    expect(procs.map((p: { pid: number }) => p.pid)).toEqual([4100, 4101, 4102, 4103, 4104]);
    expect(procs[3].status).toBe('exit 3');
    expect(procs[3].failedExecs[0].ret).toBe(-2);
    expect(json.losses).toEqual([{ source: 'ringbuf:events', count: 12, bytes: 0 }]);
  });
});

describe('runTop', () => {
  it('writes exactly the text renderOnceText returns', async () => {
    for (const [file, ascii] of [[plain, false], [withSession, false], [withSession, true]] as const) {
      const chunks: Buffer[] = [];
      const orig = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((s: string | Uint8Array, cb?: (err?: Error) => void) => {
        chunks.push(Buffer.from(s));
        cb?.();
        return true;
      }) as typeof process.stdout.write;
      try {
        expect(await runTop({ db: file, once: true, width: 100, ascii, utc: true })).toBe(0);
      } finally {
        process.stdout.write = orig;
      }
      expect(Buffer.concat(chunks).equals(Buffer.from(text(file, 100, undefined, ascii)))).toBe(true);
    }
  });

  it('says when --at falls outside the recording and what it shows instead', () => {
    const env = { ...process.env, TZ: 'UTC', NO_COLOR: '1' };
    const after = spawnSync(CLI, ['top', '--db', withSession, '--once', '--utc', '--at', '+10h'], { encoding: 'utf8', env });
    expect(after.status, after.stderr).toBe(0);
    expect(after.stderr).toBe('agentsight: --at +10h is after the end of the recording: showing its end\n');
    expect(after.stdout).toMatch(/^start .*, end\)$/m);
    const before = spawnSync(CLI, ['top', '--db', withSession, '--once', '--utc', '--at', '2020-01-01T00:00:00Z'], { encoding: 'utf8', env });
    expect(before.stderr).toBe('agentsight: --at 2020-01-01T00:00:00Z is before the start of the recording: showing its start\n');
    const inside = spawnSync(CLI, ['top', '--db', withSession, '--once', '--utc', '--at', '+0s'], { encoding: 'utf8', env });
    expect(inside.stderr).toBe('');
  });

  it('run as a command, bin/agentsight starts top and report without NODE_EXTRA_CA_CERTS (node parses it at start-up)', () => {
    // A bundle that cannot load makes node warn at start-up: the warning shows whether node was handed the variable.
    const env = { ...process.env, TZ: 'UTC', NO_COLOR: '1', NODE_EXTRA_CA_CERTS: path.join(dir, 'no-such-bundle.pem'), PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };
    const top = spawnSync(CLI, ['top', '--db', withSession, '--once', '--utc', '--width', '100'], { encoding: 'utf8', env });
    expect(top.status, top.stderr).toBe(0);
    expect(top.stdout).toBe(text(withSession, 100));
    expect(top.stderr).toBe('');
    const report = spawnSync(CLI, ['report', '--db', withSession, '--json'], { encoding: 'utf8', env });
    expect(report.stderr).toBe('');
    // Other commands keep it (record hands it to the command it runs): the same warning proves it reached node.
    const version = spawnSync(CLI, ['--version'], { encoding: 'utf8', env });
    expect(version.stdout.trim()).toMatch(/^agentsight \d+\.\d+\.\d+ \(/);
    expect(version.stderr).toMatch(/extra certs/i);
    // And node can still run the file itself (tests, sudo re-exec): the first line is a no-op to it.
    expect(spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' }).stdout.trim()).toBe(version.stdout.trim());
  });

  it('the built CLI prints it loading none of what --once does not use (blessed, fuse.js, capture, child_process)', () => {
    // Every module costs start-up time, the one figure --once is judged by (issue 6). child_process is commander's:
    // patches/commander+14.0.3.patch defers it to the spawn of an executable subcommand, which agentsight has none of.
    const probe = `process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify({ builtin: process.moduleLoadList, files: Object.keys(require.cache) })));
      process.argv = [process.argv[0], ${JSON.stringify(CLI)}, 'top', '--db', ${JSON.stringify(withSession)}, '--once', '--utc', '--width', '100'];
      require(${JSON.stringify(CLI)});`;
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(text(withSession, 100));
    const loaded = JSON.parse(r.stderr.slice(r.stderr.lastIndexOf('LOADED ') + 7)) as { builtin: string[]; files: string[] };
    expect(loaded.builtin).not.toContain('NativeModule child_process');
    const ours = loaded.files.map((f) => path.relative(ROOT, f));
    expect(ours.filter((f) => /node_modules\/(blessed|blessed-contrib|fuse\.js|date-fns)\//.test(f))).toEqual([]);
    expect(ours.filter((f) => /^dist\/(collector|report|native)\/|^dist\/tui\/app\//.test(f))).toEqual([]);
    expect(ours.filter((f) => /bindings/.test(f))).toEqual([]);
  });

  it('the built CLI exits 0 and quietly when its reader goes away (top --once | head)', async () => {
    const child = spawn(process.execPath, [CLI, 'top', '--db', withSession, '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before the CLI writes: its write fails with EPIPE
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('encodes lines as their joined string would be encoded, for any text', () => {
    const cases = [
      [],
      [''],
      ['plain ascii', '', 'two  spaces'],
      ['é ü ß · …', '├─ └─ │  ═══', '中文 全角', 'emoji 🙂👍🏽 👨‍👩‍👧'],
      ['lone high \ud800', '\udc00 lone low', 'split \ud83d', '\ude42 pair across lines'],
      ['x'.repeat(10_000) + '→'.repeat(5000)],
    ];
    for (const lines of cases) {
      const expected = Buffer.from(lines.map((l) => l + '\n').join(''));
      expect(encodeLines(lines).equals(expected)).toBe(true);
    }
  });

  it('lets StoreError propagate for a missing recording', async () => {
    await expect(runTop({ db: path.join(dir, 'missing.db'), once: true })).rejects.toBeInstanceOf(StoreError);
  });

  it('rejects a bad --at with exit code 2', async () => {
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await runTop({ db: plain, once: true, at: 'yesterday' })).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(errs.join('')).toMatch(/^agentsight: --at: invalid time "yesterday"/);
  });
});
