/**
 * What the open checks of a recording cost (src/store/file-check.ts) on the 1M-event fixture, against PRAGMA
 * quick_check of the same file measured in the same run: CPU medians (the machine is shared; wall time there is
 * mostly the queue for a core). Run alone: `node dist/bench/index.js open`.
 */
import Database from 'better-sqlite3';
import { cachedFixtureDb } from '../fixtures/generate-db';
import { checkStructure, inspectFile, QUICK_CHECK_MAX_BYTES } from '../store/file-check';
import { sqliteAddonPath } from '../store/sqlite-addon';
import type { BenchResult } from './types';

const FIXTURE = { sessions: 50, events: 1_000_000, llmCalls: 10_000, seed: 1 };

function cpuMedianMs(n: number, f: () => void): number {
  f(); // warm: page cache and the schema
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    f();
    const d = process.cpuUsage(c);
    xs.push((d.user + d.system) / 1000);
  }
  return xs.sort((a, b) => a - b)[Math.floor(n / 2)];
}

export async function runOpenCheckBench(): Promise<BenchResult[]> {
  const file = cachedFixtureDb(FIXTURE);
  const db = new Database(file, { readonly: true, nativeBinding: sqliteAddonPath() });
  try {
    db.pragma('mmap_size = 1073741824'); // as a reader's store maps it
    const facts = inspectFile(file, false);
    const mib = facts.size / (1 << 20);
    const open = cpuMedianMs(15, () => checkStructure(db, file, inspectFile(file, false)));
    const quick = cpuMedianMs(7, () => db.prepare('PRAGMA quick_check(1)').get());
    return [
      { name: 'open checks, 1M-event fixture', value: Math.round(open * 100) / 100, unit: 'ms CPU', detail: `${mib.toFixed(1)} MiB, above the ${QUICK_CHECK_MAX_BYTES >> 20} MiB quick_check limit: header, roots and interior pages; median of 15` },
      { name: 'quick_check of the same file', value: Math.round(quick * 10) / 10, unit: 'ms CPU', detail: `median of 7; ${(quick / mib).toFixed(2)} ms per MiB` },
    ];
  } finally {
    db.close();
  }
}
