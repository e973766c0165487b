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
