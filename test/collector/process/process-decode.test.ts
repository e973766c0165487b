// Process records decoded in place from a batch (offsets, one DataView over the whole batch), including text that
// is not ASCII: valid UTF-8 decodes as UTF-8, other bytes byte-exact as latin1, per field and per argument.
import { describe, expect, it } from 'vitest';
import { EV, EXEC_F_ARGV_CLIPPED, PROC_EXEC, PROC_EXIT, PROC_FORK } from '../../../src/collector/decode/layout';
import { decodeHeader, decodeProcessEvent, decodeProcessEventAt } from '../../../src/collector/process/process-events';
import { Collector } from '../../../src/collector/collector';
import { createRecording } from '../../../src/store';

const TS = 123_456_789_012_345;

function header(b: Buffer, type: number, flags: number, size: number, tgid: number): void {
  b.writeUInt16LE(type, 0);
  b.writeUInt16LE(flags, 2);
  b.writeUInt32LE(size, 4);
  b.writeBigUInt64LE(BigInt(TS), 8);
  b.writeUInt32LE(tgid, 16);
  b.writeUInt32LE(tgid + 1, 20);
}

function comm(b: Buffer, off: number, bytes: Buffer): void {
  bytes.copy(b, off, 0, Math.min(16, bytes.length));
}

function execRecord(opts: { type?: number; flags?: number; exe: Buffer; cwd: Buffer; argv: Buffer; comm: Buffer; nsTgid?: number }): Buffer {
  const f = PROC_EXEC.fields;
  const size = PROC_EXEC.size + opts.exe.length + opts.cwd.length + opts.argv.length;
  const b = Buffer.alloc(size);
  header(b, opts.type ?? EV.PROC_EXEC, opts.flags ?? 0, size, 4242);
  b.writeBigUInt64LE(777n, f.kstart_ns[0]);
  b.writeUInt32LE(41, f.ppid[0]);
  b.writeUInt32LE(1000, f.uid[0]);
  b.writeInt32LE(opts.type === EV.PROC_EXEC_FAILED ? -2 : 0, f.ret[0]);
  b.writeUInt16LE(opts.exe.length, f.exe_len[0]);
  b.writeUInt16LE(opts.cwd.length, f.cwd_len[0]);
  b.writeUInt32LE(opts.argv.length, f.argv_len[0]);
  b.writeUInt32LE(opts.nsTgid ?? 0, f.ns_tgid[0]);
  comm(b, f.comm[0], opts.comm);
  Buffer.concat([opts.exe, opts.cwd, opts.argv]).copy(b, PROC_EXEC.size);
  return b;
}

function forkRecord(): Buffer {
  const f = PROC_FORK.fields;
  const b = Buffer.alloc(PROC_FORK.size);
  header(b, EV.PROC_FORK, 0, PROC_FORK.size, 50);
  b.writeBigUInt64LE(9_000_000_001n, f.kstart_ns[0]);
  b.writeBigUInt64LE(8_000_000_002n, f.parent_kstart_ns[0]);
  b.writeUInt32LE(49, f.parent_tgid[0]);
  b.writeUInt32LE(7, f.uid[0]);
  comm(b, f.comm[0], Buffer.from('0123456789abcdef')); // exactly 16 bytes: no NUL
  return b;
}

function exitRecord(): Buffer {
  const f = PROC_EXIT.fields;
  const b = Buffer.alloc(PROC_EXIT.size);
  header(b, EV.PROC_EXIT, 0, PROC_EXIT.size, 50);
  b.writeBigUInt64LE(9_000_000_001n, f.kstart_ns[0]);
  b.writeUInt32LE(3 << 8, f.exit_code[0]);
  b.writeBigUInt64LE(123_456n, f.maxrss_kb[0]);
  comm(b, f.comm[0], Buffer.from('shé\0'));
  return b;
}

/** Pack records as the native addon does, at a non-zero offset of a larger ArrayBuffer. */
function batch(records: Buffer[]): { buf: Buffer; view: DataView; at: number[] } {
  const lead = 24;
  const total = records.reduce((n, r) => n + 8 + ((r.length + 7) & ~7), 0);
  const ab = new ArrayBuffer(lead + total);
  const buf = Buffer.from(ab, lead, total);
  const at: number[] = [];
  let off = 0;
  for (const r of records) {
    buf.writeUInt32LE(r.length, off);
    r.copy(buf, off + 8);
    at.push(off + 8);
    off += 8 + ((r.length + 7) & ~7);
  }
  return { buf, view: new DataView(ab), at };
}

const latin1Bytes = Buffer.from([0x2f, 0x74, 0xe9, 0x78]); // "/t\xe9x": not UTF-8
const execs = [
  execRecord({ exe: Buffer.from('/usr/bin/git'), cwd: Buffer.from('/home/u/proj'), argv: Buffer.from('git\0status\0\0-s\0'), comm: Buffer.from('git\0') }),
  execRecord({ exe: Buffer.from('/opt/ünï/bin'), cwd: Buffer.alloc(0), argv: Buffer.concat([Buffer.from('ünï\0'), latin1Bytes, Buffer.from('\0clipp')]), comm: Buffer.from('ünï\0'), flags: EXEC_F_ARGV_CLIPPED, nsTgid: 43 }),
  execRecord({ type: EV.PROC_EXEC_FAILED, exe: latin1Bytes, cwd: Buffer.from('/'), argv: Buffer.alloc(0), comm: Buffer.from('bash\0') }),
];

describe('process records decoded in place', () => {
  const { buf, view, at } = batch([execs[0]!, forkRecord(), execs[1]!, exitRecord(), execs[2]!]);
  const got = at.map((a, i) => decodeProcessEventAt(buf, view, a, [execs[0]!, forkRecord(), execs[1]!, exitRecord(), execs[2]!][i]!.length));
  const hdr = { flags: 0, tsNs: TS, tgid: 4242, tid: 4243 };

  it('decodes exec records: fields, text, empty and clipped arguments', () => {
    expect(got[0]).toEqual({
      ...hdr, type: EV.PROC_EXEC, size: execs[0]!.length, kind: 'exec', failed: false, kstartNs: 777, ppid: 41, uid: 1000,
      ret: 0, exe: '/usr/bin/git', cwd: '/home/u/proj', argv: ['git', 'status', '', '-s'], argvClipped: false, comm: 'git', nsTgid: 0,
    });
    expect(got[2]).toEqual({
      ...hdr, type: EV.PROC_EXEC, flags: EXEC_F_ARGV_CLIPPED, size: execs[1]!.length, kind: 'exec', failed: false,
      kstartNs: 777, ppid: 41, uid: 1000, ret: 0, exe: '/opt/ünï/bin', cwd: null, argv: ['ünï', '/t\u00e9x', 'clipp'],
      argvClipped: true, comm: 'ünï', nsTgid: 43,
    });
    expect(got[4]).toEqual({
      ...hdr, type: EV.PROC_EXEC_FAILED, size: execs[2]!.length, kind: 'exec', failed: true, kstartNs: 777, ppid: 41,
      uid: 1000, ret: -2, exe: '/t\u00e9x', cwd: '/', argv: [], argvClipped: false, comm: 'bash', nsTgid: 0,
    });
  });

  it('decodes fork and exit records', () => {
    expect(got[1]).toEqual({
      ...hdr, tgid: 50, tid: 51, type: EV.PROC_FORK, size: PROC_FORK.size, kind: 'fork', kstartNs: 9_000_000_001,
      parentKstartNs: 8_000_000_002, parentTgid: 49, uid: 7, comm: '0123456789abcdef',
    });
    expect(got[3]).toEqual({
      ...hdr, tgid: 50, tid: 51, type: EV.PROC_EXIT, size: PROC_EXIT.size, kind: 'exit', kstartNs: 9_000_000_001,
      status: 768, maxRssKb: 123_456, comm: 'shé',
    });
  });

  it('decodes a lone record the same way and rejects malformed ones', () => {
    for (const r of execs) {
      const v = new DataView(r.buffer, r.byteOffset, r.length);
      const { buf: b1, view: v1, at: a1 } = batch([r]);
      expect(decodeProcessEvent(r, v, decodeHeader(v))).toEqual(decodeProcessEventAt(b1, v1, a1[0]!, r.length));
    }
    // Payload lengths pointing past the record, and a record shorter than its struct.
    const bad = Buffer.from(execs[0]!);
    bad.writeUInt32LE(10_000, PROC_EXEC.fields.argv_len[0]);
    const { buf: b2, view: v2, at: a2 } = batch([bad, execs[0]!.subarray(0, PROC_EXEC.size - 1)]);
    expect(decodeProcessEventAt(b2, v2, a2[0]!, bad.length)).toBeNull();
    expect(decodeProcessEventAt(b2, v2, a2[1]!, PROC_EXEC.size - 1)).toBeNull();
  });
});

describe('batch walking', () => {
  it('applies every record of a batch, and never throws on damaged batches: damage is counted', () => {
    const store = createRecording(':memory:');
    const c = new Collector(store, { clockOffsetNs: 1.7e18, mode: 'record', agentPatterns: [] });
    const records = [execs[0]!, forkRecord(), execs[1]!, exitRecord(), execs[2]!];
    const good = batch(records);
    const ab = good.buf.buffer.slice(good.buf.byteOffset, good.buf.byteOffset + good.buf.length);
    c.onBatch({ bytes: Buffer.from(ab), view: new DataView(ab) });
    expect([c.records, c.malformed, c.truncatedRecords]).toEqual([5, 0, 0]);
    c.tick();
    expect(store.execs({}).map((e) => e.filename)).toEqual(['/usr/bin/git', '/opt/ünï/bin', '/t\u00e9x']);
    // Random byte damage (lengths included) and cut-off batches: decoding stays inside each record and the batch.
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 2000; i++) {
      const copy = new Uint8Array(ab.slice(0));
      for (let k = 1 + Math.floor(rnd() * 8); k > 0; k--) copy[Math.floor(rnd() * copy.length)] = Math.floor(rnd() * 256);
      const cut = rnd() < 0.3 ? copy.slice(0, Math.floor(rnd() * copy.length)) : copy;
      const before = c.records + c.truncatedRecords;
      expect(() => c.onBatch({ bytes: Buffer.from(cut.buffer), view: new DataView(cut.buffer) })).not.toThrow();
      expect(c.records + c.truncatedRecords).toBeGreaterThanOrEqual(before);
    }
    expect(() => c.tick()).not.toThrow();
    store.close();
  });
});
