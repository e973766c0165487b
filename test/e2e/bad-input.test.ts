// Bad recordings get one clear line and exit code 2 — never a stack trace. No root needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording } from '../../src/store';
import { agentsight } from '../helpers/run';

let dir: string;

function expectOneLineError(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^agentsight: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('bad recordings', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-bad-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('missing file', () => {
    expectOneLineError(agentsight(['top', '--db', path.join(dir, 'nope.db'), '--once']), /no such file/);
  });

  it('not a SQLite file', () => {
    const f = path.join(dir, 'text.db');
    fs.writeFileSync(f, 'hello, this is not a database\n'.repeat(100));
    expectOneLineError(agentsight(['top', '--db', f, '--once']), /not a SQLite database/);
  });

  it('empty file', () => {
    const f = path.join(dir, 'empty.db');
    fs.writeFileSync(f, '');
    expectOneLineError(agentsight(['top', '--db', f, '--once']), /empty file/);
  });

  it('a SQLite database from another tool', () => {
    const f = path.join(dir, 'foreign.db');
    const d = new Database(f);
    d.exec('CREATE TABLE people (name TEXT); INSERT INTO people VALUES (\'ada\')');
    d.close();
    expectOneLineError(agentsight(['top', '--db', f, '--once']), /not an agentsight recording/);
  });

  it('a recording from a newer agentsight', () => {
    const f = path.join(dir, 'newer.db');
    const s = createRecording(f);
    s.finalize();
    s.close();
    const d = new Database(f);
    d.pragma('user_version = 99');
    d.close();
    expectOneLineError(agentsight(['top', '--db', f, '--once']), /newer agentsight/);
  });

  it('a corrupt recording (pages overwritten)', () => {
    const f = path.join(dir, 'corrupt.db');
    const s = createRecording(f);
    for (let i = 0; i < 200; i++) s.putMeta(`k${i}`, 'x'.repeat(500));
    s.finalize();
    s.close();
    const buf = fs.readFileSync(f);
    for (let i = 100; i < buf.length; i++) buf[i] = (i * 7919) & 0xff;
    fs.writeFileSync(f, buf);
    expectOneLineError(agentsight(['top', '--db', f, '--once']), /damaged|corrupt|malformed|not a SQLite|not an agentsight/);
  });

  it('a truncated recording', () => {
    const f = path.join(dir, 'trunc.db');
    const s = createRecording(f);
    for (let i = 0; i < 500; i++) s.putMeta(`k${i}`, 'y'.repeat(800));
    s.finalize();
    s.close();
    const buf = fs.readFileSync(f);
    fs.writeFileSync(f, buf.subarray(0, Math.floor(buf.length / 3)));
    expectOneLineError(agentsight(['top', '--db', f, '--once']), /damaged|corrupt|malformed|truncated|not an agentsight/);
  });

  it('unknown option', () => {
    const r = agentsight(['top', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
  });
});

// Issue 22: flags that mean nothing where they are given are refused with one line, not silently accepted; every
// error line starts "agentsight:" (report's too); `report help` is help and `report frob` names the bad subcommand.
describe('meaningless flags and subcommands', () => {
  it('top --at without --db', () => {
    expectOneLineError(agentsight(['top', '--at', '+5s', '--once']), /--at needs --db/);
  });
  it('record --duration with a command', () => {
    expectOneLineError(agentsight(['record', '--duration', '3', '--', 'true']), /--duration applies only to -p\/-c\/--container without a command/);
  });
  it('record --ring-bytes that is no ring size', () => {
    expectOneLineError(agentsight(['record', '--ring-bytes', '1000', '--', 'true']), /--ring-bytes must be a power of two of at least 4096, got '1000'/);
    expectOneLineError(agentsight(['record', '--ring-bytes', '6000', '--', 'true']), /power of two/);
  });
  it('report frob, report help, and report usage errors with the one prefix', () => {
    expectOneLineError(agentsight(['report', 'frob']), /report: unknown subcommand 'frob' \(one of list, prompts, token, audit, mcp, export, otel, pprof, serve;/);
    const help = agentsight(['report', 'help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: agentsight report');
    expectOneLineError(agentsight(['report', 'token', '--frob']), /unknown option '--frob'/);
  });
});
