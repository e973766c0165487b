// Saved recordings are opened read-only and never upgraded: a recording from an older build whose missing
// migrations are read-compatible (indexes) must still open and answer queries.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRecording, openRecording, StoreError } from '../../src/store';
import { SCHEMA_VERSION } from '../../src/store/migrations';

function recording(): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-')), 'r.db');
  const s = createRecording(f);
  s.putMeta('start_ns', '1');
  s.putProcess({
    id: s.nextId('processes'), pid: 42, ppid: 1, parentId: null, sessionId: null, startNs: 1e18, kstartNs: 5, uid: 0, comm: 'sh',
    exe: '/bin/sh', argv: ['sh'], argvClipped: false, cwd: '/', execNs: null, exitNs: null, exitCode: null, exitSignal: null,
    coreDumped: false, seeded: false, peakRssKb: null, containerId: null, containerName: null, nsPid: null,
  });
  s.finalize();
  s.close();
  return f;
}

/** A file as v5 wrote it: processes without their container columns (migration 006). */
function dropV6(d: Database.Database): void {
  dropV7(d);
  for (const c of ['container_id', 'container_name', 'ns_pid']) d.exec(`ALTER TABLE processes DROP COLUMN ${c}`);
}

/** A file as v6 wrote it: no MCP tables (migration 007). */
function dropV7(d: Database.Database): void {
  d.exec('DROP TABLE mcp_calls; DROP TABLE mcp_servers');
}

describe('schema versions', () => {
  it('a v6 recording (no MCP tables) answers MCP queries with no rows, and is migrated when opened to write', () => {
    const f = recording();
    const d = new Database(f);
    dropV7(d);
    d.pragma('user_version = 6');
    d.close();
    const s = openRecording(f);
    expect(s.info().schemaVersion).toBe(6);
    expect(s.mcpServers()).toEqual([]);
    expect(s.mcpCalls({ method: 'tools/call' })).toEqual([]);
    s.close();
    createRecording(f, 'readwrite').close();
    const m = openRecording(f);
    expect(m.info().schemaVersion).toBe(SCHEMA_VERSION);
    expect(m.mcpServers()).toEqual([]);
    m.close();
  });

  it('opens a v1 recording (before the covering index) read-only', () => {
    const f = recording();
    const d = new Database(f);
    d.exec('DROP INDEX file_ops_session_cover');
    d.pragma('user_version = 1');
    d.close();
    const s = openRecording(f);
    expect(s.info().schemaVersion).toBe(1);
    expect(s.processes().map((p) => p.pid)).toEqual([42]);
    s.close();
  });

  it('a v4 recording (execs without argv_clipped) reads the mark as unknown, and is migrated when opened to write', () => {
    const f = recording();
    const w = createRecording(f, 'readwrite');
    w.addExec({ id: 1, processId: 1, tsNs: 1e18 + 1, filename: '/x/sh', argv: ['sh'], cwd: '/', ret: -2, argvClipped: true });
    w.close();
    const d = new Database(f);
    d.exec('ALTER TABLE execs DROP COLUMN argv_clipped');
    dropV6(d);
    d.pragma('user_version = 4');
    d.close();
    const s = openRecording(f);
    expect(s.info().schemaVersion).toBe(4);
    expect(s.execs().map((e) => [e.filename, e.argvClipped])).toEqual([['/x/sh', null]]);
    s.close();
    createRecording(f, 'readwrite').close();
    const m = openRecording(f);
    expect(m.info().schemaVersion).toBe(SCHEMA_VERSION);
    expect(m.execs().map((e) => e.argvClipped)).toEqual([null]);
    m.close();
  });

  it('a v5 recording (processes without their container) reads host processes, and is migrated when opened to write', () => {
    const f = recording();
    const d = new Database(f);
    dropV6(d);
    d.pragma('user_version = 5');
    d.close();
    const s = openRecording(f);
    expect(s.info().schemaVersion).toBe(5);
    expect(s.processes().map((p) => [p.pid, p.containerId, p.containerName, p.nsPid])).toEqual([[42, null, null, null]]);
    s.close();
    const w = createRecording(f, 'readwrite');
    w.putProcess({ ...w.process(1)!, containerId: 'a'.repeat(64), containerName: 'box', nsPid: 7 });
    w.close();
    const m = openRecording(f);
    expect(m.info().schemaVersion).toBe(SCHEMA_VERSION);
    expect(m.processes().map((p) => [p.pid, p.containerName, p.nsPid])).toEqual([[42, 'box', 7]]);
    m.close();
  });

  it('refuses version 0 (not ours) with a StoreError', () => {
    const f = recording();
    const d = new Database(f);
    d.pragma('user_version = 0');
    d.close();
    expect(() => openRecording(f)).toThrow(StoreError);
  });
});
