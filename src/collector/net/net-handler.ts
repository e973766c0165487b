/**
 * Network records → aggregated NetConnRows: one row per (process, op, family, proto, address, port, result) with its
 * count, bytes and first/last time. Accepts are grouped per peer address (port null): a server's ephemeral peer
 * ports would otherwise make one row per connection.
 *
 * Bytes: the kernel adds them per socket in the sock_bytes map (no record per send/recv); once a second the handler
 * looks up each socket it saw connect or accept and adds the growth to the socket's row.
 */
import type { CollectorContext, RecordHandler } from '../collector';
import type { RawRecord } from '../bpf-capture';
import type { RecordHeader } from '../process/process-events';
import type { NetConnRow, ProcessRow } from '../../store/types';
import { processFor } from '../files/process-for';
import { parseDnsAnswers } from './dns';
import { HostNames, stripMapped, type HostSource } from './host-names';
import { EV_NET, decodeNetEvent, type NetEvent } from './net-events';
import { tlsCoverage } from '../tls/tls-coverage';

/** Reads the kernel's byte counters of one socket; null when the socket is no longer in the map. */
export type SockBytesReader = (sockId: bigint) => { sent: number; recv: number } | null;

const BYTES_POLL_NS = 1e9;
const FEW_SOCKETS = 512;
/**
 * With many sockets live, one unchanged this long is taken as closed (closed sockets stay in the kernel's LRU until
 * evicted, and polling 65k of them every second would cost more than the capture): bytes an idle connection moves
 * after that are not counted.
 */
const IDLE_DROP_NS = 120e9;
/** A process's unnamed connect this recent is the one a TLS SNI names (nameRecentConnection). */
const RECENT_CONNECT_NS = 5e9;

interface LiveSocket {
  row: NetConnRow;
  tgid: number;
  sent: number;
  recv: number;
  /** Unix ns of the last change seen */
  changedNs: number;
}

export class NetHandler implements RecordHandler {
  readonly types = [EV_NET.CONNECT, EV_NET.TLS_HELLO] as const;
  readonly hosts = new HostNames();
  private readonly rows = new Map<string, NetConnRow>();
  private readonly byAddr = new Map<string, Set<NetConnRow>>();
  private readonly hostRank = new Map<NetConnRow, number>();
  private readonly dirty = new Set<NetConnRow>();
  private readonly sockets = new Map<bigint, LiveSocket>();
  private lastPollNs = 0;
  private malformed = 0;
  private unknownProcess = 0;
  dnsAnswers = 0;

  constructor(private readonly readSockBytes: SockBytesReader | null, opts: { hostsFile?: string | null } = {}) {
    if (opts.hostsFile !== null) this.hosts.loadHostsFile(opts.hostsFile);
  }

  handle(rec: RawRecord, h: RecordHeader, ctx: CollectorContext): void {
    const e = decodeNetEvent(rec.bytes, rec.view, h);
    if (!e) {
      this.malformed++;
      return;
    }
    if (e.kind === 'dns') {
      for (const a of parseDnsAnswers(e.data)) {
        this.dnsAnswers++;
        this.nameHost(a.addr, a.name, 'dns');
      }
      return;
    }
    if (e.kind === 'tls-hello') {
      this.tlsHello(e.sockId, e.len, h, ctx);
      return;
    }
    const proc = processFor(ctx, h.tgid);
    if (!proc) {
      this.unknownProcess++;
      return;
    }
    const ts = ctx.unix(h.tsNs);
    const row = this.row(proc, e, ts);
    row.count++;
    ctx.store.addActivity(ts, { netEvents: 1 });
    if (e.sockId !== 0n && (e.kind === 'accept' || (e.kind === 'connect' && (e.ret === 0 || e.ret === -115)))) {
      this.settle(e.sockId, e.prevSent, e.prevRecv); // a reused socket pointer: the old socket's final counts
      this.sockets.set(e.sockId, { row, tgid: h.tgid, sent: 0, recv: 0, changedNs: ts });
    }
  }

  /** A socket's first send was a TLS ClientHello: the TLS coverage checks that its plaintext was captured. */
  private tlsHello(sockId: bigint, helloLen: number, h: RecordHeader, ctx: CollectorContext): void {
    const s = this.sockets.get(sockId);
    const cov = tlsCoverage(ctx);
    if (!s || !cov || s.tgid !== h.tgid) return; // sent by another process than the one that connected: not ours to judge
    const proc = ctx.processes.forRecord(h.tgid);
    if (!proc) return;
    const row = s.row;
    cov.noteSocket(
      { processId: proc.id, tgid: h.tgid, helloNs: ctx.unix(h.tsNs), helloLen, addr: row.addr, port: row.port, host: () => row.host, bytes: () => ({ sent: s.sent, recv: s.recv }) },
      proc.exe,
    );
  }

  private row(proc: ProcessRow, e: NetEvent, ts: number): NetConnRow {
    const port = e.kind === 'accept' ? null : e.port;
    const result = e.ret < 0 ? e.ret : 0;
    const key = `${proc.id}\0${e.kind}\0${e.family}\0${e.proto}\0${e.addr}\0${port}\0${result}`;
    let row = this.rows.get(key);
    if (!row) {
      const name = e.family === 'unix' ? undefined : this.hosts.get(e.addr);
      row = {
        id: -1, processId: proc.id, sessionId: proc.sessionId, op: e.kind, family: e.family, proto: e.proto,
        addr: e.addr, port, host: name?.name ?? null, result, count: 0, bytesSent: 0, bytesRecv: 0, firstNs: ts, lastNs: ts,
      };
      this.rows.set(key, row);
      this.hostRank.set(row, this.hosts.rank(name?.source));
      const a = stripMapped(e.addr);
      let set = this.byAddr.get(a);
      if (!set) this.byAddr.set(a, (set = new Set()));
      set.add(row);
    }
    row.lastNs = ts;
    this.dirty.add(row);
    return row;
  }

  /** Name an address (DNS answer, TLS SNI, HTTP Host); rows to that address get the name unless better named. */
  nameHost(addr: string, name: string, source: HostSource): void {
    if (!this.hosts.set(stripMapped(addr), name, source)) return;
    const rank = this.hosts.rank(source);
    for (const row of this.byAddr.get(stripMapped(addr)) ?? []) {
      if ((this.hostRank.get(row) ?? 0) > rank || row.host === name) continue;
      row.host = name;
      this.hostRank.set(row, rank);
      this.dirty.add(row);
    }
  }

  /**
   * Name the most recent connect of a process that is still unnamed or only named by a weaker source — for layers
   * that know a host name but not the address (TLS SNI from a uprobe). Returns the row named, if any.
   */
  nameRecentConnection(tgid: number, name: string, source: HostSource, atNs: number): NetConnRow | null {
    let best: LiveSocket | null = null;
    for (const s of this.sockets.values()) {
      if (s.tgid !== tgid || s.row.op !== 'connect' || s.row.family === 'unix') continue;
      if (atNs - s.row.lastNs > RECENT_CONNECT_NS) continue;
      if (!best || s.row.lastNs > best.row.lastNs) best = s;
    }
    if (!best) return null;
    this.nameHost(best.row.addr, name, source);
    return best.row;
  }

  private settle(id: bigint, sent: number, recv: number): void {
    const s = this.sockets.get(id);
    if (!s) return;
    this.add(s, sent, recv);
    this.sockets.delete(id);
  }

  private add(s: LiveSocket, sent: number, recv: number): void {
    if (sent > s.sent || recv > s.recv) {
      s.row.bytesSent += Math.max(0, sent - s.sent);
      s.row.bytesRecv += Math.max(0, recv - s.recv);
      s.sent = Math.max(s.sent, sent);
      s.recv = Math.max(s.recv, recv);
      s.changedNs = Date.now() * 1e6;
      this.dirty.add(s.row);
    }
  }

  private pollSocket(id: bigint): boolean {
    const s = this.sockets.get(id);
    if (!s || !this.readSockBytes) return false;
    const b = this.readSockBytes(id);
    if (!b) {
      this.sockets.delete(id);
      return false;
    }
    this.add(s, b.sent, b.recv);
    return true;
  }

  tick(ctx: CollectorContext): void {
    const now = Date.now() * 1e6;
    // every tick while few sockets are live (so the last tick before the recording ends has the final counts)
    if (this.sockets.size <= FEW_SOCKETS || now - this.lastPollNs >= BYTES_POLL_NS) {
      this.lastPollNs = now;
      for (const [id, s] of this.sockets) {
        this.pollSocket(id);
        // the process is gone: its sockets are closed, nothing more will be counted on them
        if (!ctx.processes.byTgid(s.tgid)) this.sockets.delete(id);
        else if (this.sockets.size > FEW_SOCKETS && now - s.changedNs > IDLE_DROP_NS) this.sockets.delete(id);
      }
    }
    for (const row of this.dirty) {
      if (row.id < 0) row.id = ctx.store.nextId('net_conns');
      ctx.store.putNetConn(row);
    }
    this.dirty.clear();
    if (this.malformed > 0) {
      ctx.loss('net:malformed', this.malformed, 0, 'network records that did not decode');
      this.malformed = 0;
    }
    if (this.unknownProcess > 0) {
      ctx.loss('net:unknown-process', this.unknownProcess, 0, 'network record of a process missing from the process model');
      this.unknownProcess = 0;
    }
  }
}

const handlers = new WeakMap<object, NetHandler>();

/** Register the handler of a collector so other layers can name hosts (see nameHost below). */
export function registerNetHandler(collector: object, h: NetHandler): void {
  handlers.set(collector, h);
}

/**
 * For the TLS and HTTP layers: name a destination address seen by this collector's capture. `source` is 'sni' or
 * 'http' (they outrank DNS and /etc/hosts). No-op when the network group is not loaded.
 */
export function nameHost(collector: object, addr: string, name: string, source: HostSource): void {
  handlers.get(collector)?.nameHost(addr, name, source);
}

/** For layers that know the process and a host name but not the address: names its latest connect (≤ 5 s old). */
export function nameRecentConnection(collector: object, tgid: number, name: string, source: HostSource, atNs: number): NetConnRow | null {
  return handlers.get(collector)?.nameRecentConnection(tgid, name, source, atNs) ?? null;
}
