/**
 * Secrets typed on a command line never reach disk nor any output (issue 14, item 3). As root with real BPF, the
 * built CLI records commands that carry every secret form — in the recorded command itself (meta.command, the
 * session title, the root process), in the script it runs (one `sh -c` argument) and in the argv of each exec
 * (successful, failed, and a process seeded from /proc by `record -p`) — with fresh fake values. Every file of the
 * recording (the .db, and the -wal/-shm copied while the command still runs) and every output of record, report and
 * top is searched for each value; the raw argv is checked to carry them, so the test can fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAsync } from '../helpers/async-run';
import { CLI, describeBpf } from '../helpers/bpf-env';
import { agentsight } from '../helpers/run';


const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const rnd = (n: number, alphabet = ALNUM) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Fresh fake values, one per form (never real keys). */
const S = {
  apiKeyFlag: `sk-ant-api03-${rnd(80)}`,
  tokenEq: `ghp_${rnd(36)}`,
  envAssign: `sk-${rnd(48)}9`,
  bearer: rnd(40),
  urlKey: `AIza${rnd(35)}`,
  password: `hunter2-${rnd(12)}`,
  githubPat: `github_pat_11${rnd(22, UPPER)}_${rnd(59)}`,
  slack: `xoxb-${rnd(12, '0123456789')}-${rnd(24)}`,
  aws: `AKIA${rnd(16, UPPER)}`,
  jwt: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: rnd(12), iat: 1700000000 })}.${rnd(43)}`,
  failedExec: `sk-ant-api03-${rnd(60)}`,
  seeded: `ghs_${rnd(36)}`,
  liveTop: `sk-ant-api03-${rnd(70)}`,
};
type Name = keyof typeof S;

/** Where each value is, per file or output, by name; empty when nothing leaked. */
function leaks(haystacks: Record<string, string | Buffer>, names: readonly Name[] = Object.keys(S) as Name[]): string[] {
  const found: string[] = [];
  for (const [where, h] of Object.entries(haystacks)) {
    const text = Buffer.isBuffer(h) ? h.toString('latin1') : h;
    for (const n of names) {
      const count = text.split(S[n]).length - 1;
      if (count > 0) found.push(`${where}: ${n} ×${count}`);
    }
  }
  return found;
}

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The recording (being written) holds this meta key: the capture is up. */
function hasMeta(db: string, key: string): boolean {
  try {
    const d = new Database(db, { readonly: true });
    try {
      return d.prepare('SELECT 1 FROM meta WHERE key = ?').get(key) !== undefined;
    } finally {
      d.close();
    }
  } catch {
    return false; // not created or not initialised yet
  }
}

/** A local port with nothing listening, for curl to fail on fast. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Every output of the readers on one recording, by command line. */
function readerOutputs(db: string): Record<string, string> {
  const runs: string[][] = [
    ['report', '--db', db], ['report', '--db', db, '--json'],
    ['report', '--db', db, 'prompts'], ['report', '--db', db, '--json', 'prompts'],
    ['report', '--db', db, 'audit'], ['report', '--db', db, '--json', 'audit'],
    ['report', '--db', db, 'export'], ['report', '--db', db, '--json', 'export'],
    ['report', '--db', db, 'token'], ['report', '--db', db, 'list'],
    ['top', '--db', db, '--once', '--width', '400'], ['top', '--db', db, '--once', '--format', 'json'],
  ];
  const out: Record<string, string> = {};
  for (const args of runs) {
    const r = agentsight(args, { cwd: path.dirname(db) });
    out[args.join(' ')] = r.stdout + r.stderr;
  }
  return out;
}

describeBpf('record: secrets on command lines never reach disk or output', [], () => {
  let dir: string;
  const kids: ChildProcess[] = [];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-secrets-'));
  });
  afterAll(() => {
    for (const k of kids) k.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('record of commands carrying every secret form: 0 copies in the .db, -wal, -shm and every output', async () => {
    const db = path.join(dir, 'rec.db');
    const go = path.join(dir, 'go');
    const ready = `ready-${rnd(16)}`;
    const port = await closedPort();
    // One exec per form (/bin/true ignores its arguments; the shell's builtin would not exec), written out in the script so the `sh -c` argument holds
    // them all too; the script waits for the go-file so the live -wal/-shm can be read first.
    const script = [
      `/bin/true --api-key ${S.apiKeyFlag}`,
      `/bin/true --token=${S.tokenEq}`,
      `env ANTHROPIC_API_KEY=${S.envAssign} sh -c true`,
      `curl -sS -m 5 -H 'Authorization: Bearer ${S.bearer}' 'http://127.0.0.1:${port}/v1/models?key=${S.urlKey}' 2>/dev/null`,
      `/bin/true --password ${S.password}`,
      `/bin/true ${S.githubPat}`,
      `/bin/true ${S.slack}`,
      `/bin/true ${S.aws}`,
      `/bin/true ${S.jwt}`,
      `${dir}/no-such-tool --api-key ${S.failedExec} 2>/dev/null`,
      `/bin/true ${ready}`,
      `while [ ! -e ${go} ]; do sleep 0.1; done`,
      'exit 0',
    ].join('\n');
    // The recorded command line itself carries secrets as well: meta.command, sessions.title, the root's argv.
    const command = ['sh', '-c', script, 'agent', '--api-key', S.apiKeyFlag, `--token=${S.tokenEq}`, `--password`, S.password];
    // The failing case is caught: every value is in what we hand to record.
    const inThisRun = (Object.keys(S) as Name[]).filter((n) => n !== 'seeded' && n !== 'liveTop');
    expect(leaks({ argv: [...command].join('\0') }, inThisRun)).toHaveLength(inThisRun.length);

    const rec = runAsync(process.execPath, [CLI, 'record', '--db', db, '--', ...command], { cwd: dir });
    const wal = `${db}-wal`;
    // Mid-recording: once the last exec is committed (its argv is in the WAL), take every file as it is now.
    await until(() => fs.existsSync(wal) && fs.readFileSync(wal).includes(ready), 'the ready exec in the WAL');
    const live: Record<string, Buffer> = {};
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('rec.db'))) live[`live ${f}`] = fs.readFileSync(path.join(dir, f));
    expect(Object.keys(live)).toEqual(expect.arrayContaining(['live rec.db', 'live rec.db-wal', 'live rec.db-shm']));
    fs.writeFileSync(go, '');
    const r = await rec;
    expect(r.code).toBe(0);
    const files: Record<string, Buffer> = {};
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('rec.db'))) files[f] = fs.readFileSync(path.join(dir, f));
    expect(leaks({ ...live, ...files, 'record stderr': r.stderr, 'record stdout': r.stdout, ...readerOutputs(db) })).toEqual([]);

    // Each form was recorded (as redacted execs), so the search below looks where the values would be.
    const d = new Database(db, { readonly: true });
    const execArgv = (d.prepare('SELECT argv, ret FROM execs ORDER BY id').all() as Array<{ argv: string; ret: number }>).map((e) => ({ argv: JSON.parse(e.argv) as string[], ret: e.ret }));
    const title = (d.prepare('SELECT title FROM sessions').get() as { title: string }).title;
    const metaCommand = JSON.parse((d.prepare("SELECT value FROM meta WHERE key = 'command'").get() as { value: string }).value) as string[];
    d.close();
    expect(metaCommand).toHaveLength(command.length);
    expect(metaCommand.slice(3, 6)).toEqual(['agent', '--api-key', expect.stringMatching(/^\[REDACTED len=\d+ hmac:[0-9a-f]{8}\]$/)]);
    expect(title.startsWith('sh -c ')).toBe(true);
    const trueRuns = execArgv.filter((e) => e.argv[0] === '/bin/true' && e.ret === 0);
    expect(trueRuns.map((e) => e.argv.length)).toEqual([3, 2, 3, 2, 2, 2, 2, 2]);
    expect(trueRuns[0]!.argv).toEqual(['/bin/true', '--api-key', expect.stringMatching(/^\[REDACTED /)]);
    expect(execArgv.find((e) => e.argv[0] === 'env')!.argv).toEqual(['env', expect.stringMatching(/^ANTHROPIC_API_KEY=\[REDACTED /), 'sh', '-c', 'true']);
    expect(execArgv.find((e) => e.argv[0] === 'curl')!.argv.slice(4)).toEqual([
      '-H', expect.stringMatching(/^Authorization: \[REDACTED /), expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${port}/v1/models\\?key=\\[REDACTED `)),
    ]);
    expect(execArgv.some((e) => e.ret < 0 && e.argv[1] === '--api-key')).toBe(true); // the failed exec
    // The same key in two places of one recording has one fingerprint.
    const fp = trueRuns[0]!.argv[2];
    expect(metaCommand[5]).toBe(fp);
  });

  it('record -p: a process seeded from /proc has its argv redacted', async () => {
    const go = path.join(dir, 'go-p');
    const target = spawn('sh', ['-c', `while [ ! -e ${go} ]; do sleep 0.1; done`, 'agent', '--token', S.seeded, `GITHUB_TOKEN=${S.seeded}`], { stdio: 'ignore' });
    kids.push(target);
    await until(() => fs.readFileSync(`/proc/${target.pid}/cmdline`, 'latin1').includes(S.seeded), 'the target running');
    const db = path.join(dir, 'attach.db');
    const rec = runAsync(process.execPath, [CLI, 'record', '--db', db, '-p', String(target.pid)], { cwd: dir });
    await until(() => fs.existsSync(db) && hasMeta(db, 'attached_pids'), 'the attach');
    fs.writeFileSync(go, '');
    const r = await rec;
    expect(r.code).toBe(0);
    const d = new Database(db, { readonly: true });
    const row = d.prepare('SELECT argv, seeded FROM processes WHERE pid = ?').get(target.pid) as { argv: string; seeded: number };
    d.close();
    expect(row.seeded).toBe(1);
    expect(JSON.parse(row.argv)).toEqual(['sh', '-c', expect.any(String), 'agent', '--token', expect.stringMatching(/^\[REDACTED /), expect.stringMatching(/^GITHUB_TOKEN=\[REDACTED /)]);
    const files: Record<string, Buffer> = {};
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('attach.db'))) files[f] = fs.readFileSync(path.join(dir, f));
    expect(leaks({ ...files, 'record stderr': r.stderr, ...readerOutputs(db) }, ['seeded'])).toEqual([]);
  });

  it('live top --once: an agent already running, read from /proc, shows no secret (text and json)', async () => {
    const go = path.join(dir, 'go-top');
    // Named claude (argv[0]) so live top recognises it as an agent and shows its process tree.
    const agent = spawn('bash', ['-c', `exec -a claude sh -c 'while [ ! -e ${go} ]; do sleep 0.1; done' claude --api-key ${S.liveTop} -p hi`], { stdio: 'ignore' });
    kids.push(agent);
    await until(() => fs.readFileSync(`/proc/${agent.pid}/cmdline`, 'latin1').startsWith('claude\0'), 'the agent running');
    try {
      const text = await runAsync(process.execPath, [CLI, 'top', '--once', '--width', '400'], { cwd: dir });
      const json = await runAsync(process.execPath, [CLI, 'top', '--once', '--format', 'json'], { cwd: dir });
      expect(text.code).toBe(0);
      expect(json.code).toBe(0);
      // It is there, redacted: the search below looks where the value would be.
      expect(json.stdout).toContain(`${agent.pid}`);
      expect(text.stdout).toMatch(/--api-key '?\[REDACTED len=\d+ hmac:[0-9a-f]{8}\]/);
      expect(leaks({ 'top --once': text.stdout + text.stderr, 'top --once --format json': json.stdout + json.stderr }, ['liveTop'])).toEqual([]);
    } finally {
      fs.writeFileSync(go, '');
    }
  });
});
