/** Small hand-built recordings for TUI tests, written through the Store write API like the collector does. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRecording, type ProcessRow } from '../../src/store';

export const T0 = Date.UTC(2026, 10, 24, 5, 30, 1) * 1e6;
export const MS = 1e6;

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'agentsight-tui-'));
}

type ProcInput = Partial<ProcessRow> & Pick<ProcessRow, 'id' | 'pid' | 'argv' | 'startNs'>;

function proc(p: ProcInput): ProcessRow {
  return {
    ppid: null, parentId: null, sessionId: null, kstartNs: p.startNs, uid: 1000, comm: (p.argv[0] ?? 'x').split('/').pop()!.slice(0, 15),
    exe: p.argv[0] ?? null, argvClipped: false, cwd: '/home/u', execNs: p.startNs, exitNs: null, exitCode: null, exitSignal: null,
    coreDumped: false, seeded: false, peakRssKb: null, containerId: null, containerName: null, nsPid: null, ...p,
  };
}

/**
 * A shell whose `$(…)` and pipeline subshells fork without exec: 3 that exit 0 (one with a quiet child of its own),
 * one that exits 1, one still running at +50 ms, and one whose child runs a program.
 */
export function buildSubshellRecording(file: string): void {
  const s = createRecording(file);
  s.putMeta('start_ns', String(T0));
  const sub = (id: number, parentId: number, startMs: number, exit: { code?: number; ms?: number } = { code: 0, ms: startMs + 2 }) =>
    s.putProcess(proc({ id, pid: 5000 + id, ppid: 5000 + parentId, parentId, argv: [], comm: 'bash', exe: null, execNs: null, startNs: T0 + startMs * MS,
      exitNs: exit.ms !== undefined ? T0 + exit.ms * MS : null, exitCode: exit.code ?? null }));
  s.putProcess(proc({ id: 1, pid: 5001, argv: ['bash', 'rc.sh'], startNs: T0, exitNs: T0 + 90 * MS, exitCode: 0 }));
  sub(2, 1, 1);
  sub(3, 1, 2);
  sub(4, 1, 3, { code: 0, ms: 9 });
  sub(5, 4, 4);
  sub(6, 1, 10, { code: 1, ms: 12 });
  sub(7, 1, 20, {});
  sub(8, 1, 30, { code: 0, ms: 40 });
  s.putProcess(proc({ id: 9, pid: 5009, ppid: 5008, parentId: 8, argv: ['/usr/bin/readlink', 'x'], startNs: T0 + 31 * MS, exitNs: T0 + 33 * MS, exitCode: 0 }));
  s.finalize();
  s.close();
}

/**
 * What `record -- bash -c 'mkdir -p /tmp/a1 && cd /tmp/a1 && /bin/echo hi && sh -c "exit 3"; exit 7'` produces:
 * one process tree, no session rows (a plain command is not an agent), plus a failed exec, a loss and a TLS target.
 */
export function buildShellRecording(file: string, withSession = false): void {
  const s = createRecording(file);
  s.putMeta('command', JSON.stringify(['bash', '-c', 'mkdir -p /tmp/a1 && cd /tmp/a1 && /bin/echo hi && sh -c "exit 3"; exit 7']));
  s.putMeta('start_ns', String(T0));
  const sessionId = withSession ? 1 : null;
  if (withSession) s.putSession({ id: 1, agent: null, externalId: null, rootProcessId: 1, title: 'bash -c …', startNs: T0, endNs: T0 + 90 * MS });
  s.putProcess(proc({ id: 1, pid: 4100, argv: ['bash', '-c', 'mkdir -p /tmp/a1 && cd /tmp/a1 && /bin/echo hi && sh -c "exit 3"; exit 7'], startNs: T0, exitNs: T0 + 90 * MS, exitCode: 7, sessionId }));
  s.putProcess(proc({ id: 2, pid: 4101, ppid: 4100, parentId: 1, argv: ['mkdir', '-p', '/tmp/a1'], startNs: T0 + 10 * MS, exitNs: T0 + 13 * MS, exitCode: 0, sessionId }));
  s.putProcess(proc({ id: 3, pid: 4102, ppid: 4100, parentId: 1, argv: ['/bin/echo', 'hi'], cwd: '/tmp/a1', startNs: T0 + 20 * MS, exitNs: T0 + 22 * MS, exitCode: 0, sessionId }));
  s.putProcess(proc({ id: 4, pid: 4103, ppid: 4100, parentId: 1, argv: ['sh', '-c', 'exit 3'], cwd: '/tmp/a1', startNs: T0 + 30 * MS, exitNs: T0 + 40 * MS, exitCode: 3, sessionId }));
  s.putProcess(proc({ id: 5, pid: 4104, ppid: 4103, parentId: 4, argv: ['sleep', '100'], cwd: '/tmp/a1', startNs: T0 + 32 * MS, exitNs: T0 + 38 * MS, exitSignal: 9, sessionId }));
  s.addExec({ id: 1, processId: 4, tsNs: T0 + 31 * MS, filename: '/usr/bin/nope', argv: ['nope', '--x'], cwd: '/tmp/a1', ret: -2, argvClipped: false });
  s.putFileOp({ id: 1, processId: 2, sessionId, op: 'mkdir', path: '/tmp/a1', path2: null, flags: 0o755, result: 0, count: 1, bytes: 0, firstNs: T0 + 11 * MS, lastNs: T0 + 11 * MS, pathClipped: false });
  s.putFileOp({ id: 2, processId: 3, sessionId, op: 'open', path: '/etc/ld.so.cache', path2: null, flags: 0, result: 0, count: 1, bytes: 0, firstNs: T0 + 21 * MS, lastNs: T0 + 21 * MS, pathClipped: false });
  s.addLoss({ id: 1, tsNs: T0 + 50 * MS, source: 'ringbuf:events', processId: null, connId: null, count: 12, bytes: 0, detail: null });
  s.putTlsTarget({ id: 1, path: '/usr/bin/node', buildId: null, sha256: null, stack: 'openssl', status: 'attached', detail: 'SSL_read/SSL_write exported', probes: '[]', tsNs: T0 });
  s.putTlsTarget({ id: 2, path: '/opt/bunny', buildId: null, sha256: null, stack: null, status: 'not-found', detail: 'no SSL symbols, no BoringSSL error sites', probes: '[]', tsNs: T0 });
  s.addActivity(T0, { procEvents: 5 });
  s.finalize();
  s.close();
}
