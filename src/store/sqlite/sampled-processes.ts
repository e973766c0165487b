/**
 * Which processes have CPU/RSS samples, busiest (highest RSS) first: one grouped query instead of asking every
 * process of a 50,000-process recording for its samples.
 */
import type Database from 'better-sqlite3';

export interface SampledProcess {
  processId: number;
  samples: number;
  peakRssKb: number;
}

export function sampledProcesses(db: Database.Database, q: { sessionId?: number }): SampledProcess[] {
  const where = q.sessionId === undefined ? '' : `WHERE process_id IN (SELECT id FROM processes WHERE session_id = ${Number(q.sessionId)})`;
  return db
    .prepare(`SELECT process_id AS processId, count(*) AS samples, max(rss_kb) AS peakRssKb FROM resource_samples ${where} GROUP BY process_id ORDER BY peakRssKb DESC, process_id`)
    .all() as SampledProcess[];
}
