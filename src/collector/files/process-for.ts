/**
 * The process row of a file/network record. A traced process is normally in the model before its first record
 * (its fork or exec came first in the same ring); one that is not — attached with `record -c` after it exec'd, or
 * traced while its exec record was lost — is seeded from /proc so its activity is still attributed.
 */
import fs from 'node:fs';
import type { CollectorContext } from '../collector';
import type { ProcessRow } from '../../store/types';

let bootNs: number | null = null;

/** Unix ns of boot: /proc start times are ticks since boot. */
export function bootTimeNs(): number {
  if (bootNs === null) {
    const up = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    bootNs = Date.now() * 1e6 - up * 1e9;
  }
  return bootNs;
}

export function processFor(ctx: CollectorContext, tgid: number): ProcessRow | undefined {
  return ctx.processes.byTgid(tgid) ?? ctx.processes.seedFromProc(tgid, bootTimeNs());
}
