/**
 * `agentsight report --local`: token use and cost from the agents' own session files (Claude Code, Codex, Gemini
 * CLI) — no root and no recording needed. Per day, project, session and model; every skipped line is counted and
 * shown, and one bad file never hides the others.
 */
import { parseDay } from '../day-range';
import { costUsd } from '../../protocols/llm/cost';
import { redactCommandText } from '../../collector/process/redact-command';
import type { ReportContext } from '../context';
import { writeJson } from '../context';
import { EXIT_NOTHING_FOUND, EXIT_OK, ReportError } from '../errors';
import { oneLine, plural } from '../../present';
import { renderUsageTable, type TokenRow } from '../token';
import { addUsage, emptyTotals, fromLlmUsage, mergeTotals, totalsJson, type UsageTotals } from '../usage';
import { readClaudeCode } from './claude-code';
import { readCodex } from './codex';
import { readGeminiCli } from './gemini-cli';
import { invokingUserHome } from './home';
import type { LocalAgent, LocalUsageEntry, SourceResult } from './types';

export const LOCAL_SCHEMA_ID = 'agentsight.report.local/1';
export const LOCAL_AGENTS: readonly LocalAgent[] = ['claude-code', 'codex', 'gemini-cli'];
export const LOCAL_GROUPS = ['day', 'project', 'session', 'model'] as const;
export type LocalGroup = (typeof LOCAL_GROUPS)[number];

export interface LocalOptions {
  home?: string;
  agent?: string;
  groupBy?: string;
  since?: string;
  until?: string;
}

/** A usage record with its cost: the price table's, else the one the agent wrote down, else null (unknown). */
export interface PricedLocalEntry extends LocalUsageEntry {
  costUsd: number | null;
}

type Priced = PricedLocalEntry;

interface SessionRow extends UsageTotals {
  agent: LocalAgent;
  sessionId: string;
  project: string;
  firstMs: number;
  lastMs: number;
  models: Set<string>;
}

function parseAgent(v: string | undefined): LocalAgent[] {
  if (!v) return [...LOCAL_AGENTS];
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  const aliases: Record<string, LocalAgent> = { claude: 'claude-code', 'claude-code': 'claude-code', codex: 'codex', gemini: 'gemini-cli', 'gemini-cli': 'gemini-cli' };
  return names.map((n) => {
    const a = aliases[n];
    if (!a) throw new ReportError(`--agent must be claude-code, codex or gemini-cli (got "${n}")`);
    return a;
  });
}

function parseGroups(v: string | undefined): LocalGroup[] {
  if (!v) return ['day', 'project', 'session'];
  if (!LOCAL_GROUPS.includes(v as LocalGroup)) throw new ReportError(`--group-by must be one of ${LOCAL_GROUPS.join(', ')} (got "${v}")`);
  return [v as LocalGroup];
}

export function readLocalSources(home: string, env: Readonly<Record<string, string | undefined>>, agents: readonly LocalAgent[]): SourceResult[] {
  const readers: Record<LocalAgent, () => SourceResult> = {
    'claude-code': () => readClaudeCode(home, env),
    codex: () => readCodex(home, env),
    'gemini-cli': () => readGeminiCli(home, env),
  };
  return agents.map((a) => readers[a]());
}

/** Every usage record of the chosen agents within --since/--until, redacted and priced, in time order. */
export interface LocalEntries {
  home: string;
  agents: LocalAgent[];
  since: string | null;
  until: string | null;
  sources: SourceResult[];
  entries: PricedLocalEntry[];
}

/**
 * Read, filter, redact and price the session files: the one path from the agents' files to priced records, shared
 * by `report --local` and `report pprof --local`. Problems found in the files are written to stderr as notes.
 */
export function collectLocalEntries(opts: LocalOptions, ctx: ReportContext): LocalEntries {
  const agents = parseAgent(opts.agent);
  const since = parseDay(opts.since, '--since');
  const until = parseDay(opts.until, '--until');
  const home = invokingUserHome(ctx.io.env, opts.home);
  const sources = readLocalSources(home, ctx.io.env, agents);

  for (const s of sources) {
    s.stats.problems = s.stats.problems.map((p) => ({ ...p, file: redactCommandText(p.file), message: redactCommandText(p.message) }));
    for (const p of s.stats.problems) ctx.io.err(`agentsight: note: ${p.file}: ${p.message}\n`);
  }

  const entries: PricedLocalEntry[] = [];
  for (const s of sources) {
    for (const e of s.entries) {
      const day = ctx.clock.day(e.tsMs);
      if ((since && day < since) || (until && day > until)) continue;
      // Our offline price table first (one source for every agent), the agent's own figure for models it lacks.
      // Text from the agents' files is printed through the same redaction as a recording's command lines (a project
      // named after a directory, a session id, a model name could hold a key as well as argv could).
      entries.push({
        ...e,
        project: redactCommandText(e.project),
        sessionId: redactCommandText(e.sessionId),
        model: e.model === null ? null : redactCommandText(e.model),
        costUsd: costUsd(e.provider, e.model, e.usage) ?? e.recordedCostUsd ?? null,
      });
    }
  }
  entries.sort((a, b) => a.tsMs - b.tsMs);
  return { home, agents, since, until, sources, entries };
}

export function runLocal(opts: LocalOptions, ctx: ReportContext): number {
  const groups = parseGroups(opts.groupBy);
  const { home, agents, since, until, sources, entries } = collectLocalEntries(opts, ctx);

  const byKey = (key: (e: Priced) => string): TokenRow[] => {
    const m = new Map<string, UsageTotals>();
    for (const e of entries) {
      const k = key(e);
      const t = m.get(k) ?? emptyTotals();
      addUsage(t, fromLlmUsage(e.usage), e.costUsd);
      m.set(k, t);
    }
    return [...m].map(([k, t]) => ({ key: k, ...t }));
  };
  const days = byKey((e) => ctx.clock.day(e.tsMs)).sort((a, b) => a.key.localeCompare(b.key));
  const projects = byKey((e) => e.project).sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  const models = byKey((e) => e.model ?? 'unknown').sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  const sessions = new Map<string, SessionRow>();
  for (const e of entries) {
    const k = `${e.agent}\0${e.sessionId}`;
    let s = sessions.get(k);
    if (!s) {
      s = { ...emptyTotals(), agent: e.agent, sessionId: e.sessionId, project: e.project, firstMs: e.tsMs, lastMs: e.tsMs, models: new Set() };
      sessions.set(k, s);
    }
    addUsage(s, fromLlmUsage(e.usage), e.costUsd);
    s.firstMs = Math.min(s.firstMs, e.tsMs);
    s.lastMs = Math.max(s.lastMs, e.tsMs);
    if (e.model) s.models.add(e.model);
  }
  const sessionRows = [...sessions.values()].sort((a, b) => a.firstMs - b.firstMs);
  const total = emptyTotals();
  for (const d of days) mergeTotals(total, d);
  const byAgent = new Map<LocalAgent, UsageTotals>();
  for (const e of entries) {
    const t = byAgent.get(e.agent) ?? emptyTotals();
    addUsage(t, fromLlmUsage(e.usage), e.costUsd);
    byAgent.set(e.agent, t);
  }

  if (ctx.json) {
    writeJson(ctx, {
      schema: LOCAL_SCHEMA_ID,
      home,
      range: { since, until },
      sources: sources.map((s) => ({ ...s.stats, usage: totalsJson(byAgent.get(s.stats.agent) ?? emptyTotals()) })),
      days: days.map((r) => ({ day: r.key, ...totalsJson(r) })),
      projects: projects.map((r) => ({ project: r.key, ...totalsJson(r) })),
      models: models.map((r) => ({ model: r.key, ...totalsJson(r) })),
      sessions: sessionRows.map((s) => ({
        agent: s.agent,
        sessionId: s.sessionId,
        project: s.project,
        start: ctx.clock.iso(s.firstMs * 1e6),
        end: ctx.clock.iso(s.lastMs * 1e6),
        models: [...s.models].sort(),
        ...totalsJson(s),
      })),
      total: totalsJson(total),
    });
    return entries.length ? EXIT_OK : EXIT_NOTHING_FOUND;
  }

  if (entries.length === 0) {
    const searched = sources.flatMap((s) => s.stats.roots);
    throw new ReportError(
      searched.length
        ? `no model usage found in the session files under ${searched.join(', ')}`
        : `no session files of ${agents.join(', ')} under ${home} (looked for ~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp)`,
      EXIT_NOTHING_FOUND,
    );
  }
  const p = ctx.painter;
  const out: string[] = [];
  const footer: TokenRow = { key: 'TOTAL', ...total };
  for (const g of groups) {
    if (g === 'day') {
      out.push(p.paint('bold', 'By day'), renderUsageTable('DAY', days, footer, ctx));
    } else if (g === 'project') {
      out.push(p.paint('bold', 'By project'), renderUsageTable('PROJECT', projects, footer, ctx));
    } else if (g === 'model') {
      out.push(p.paint('bold', 'By model'), renderUsageTable('MODEL', models, footer, ctx));
    } else {
      const rows: Array<TokenRow & { s?: SessionRow }> = sessionRows.map((s) => ({ ...s, key: s.sessionId, s }));
      out.push(
        p.paint('bold', 'By session'),
        renderUsageTable('SESSION', rows, footer, ctx, [
          { title: 'AGENT', value: (r) => (r as { s?: SessionRow }).s?.agent ?? '' },
          { title: 'STARTED', value: (r) => { const s = (r as { s?: SessionRow }).s; return s ? ctx.clock.dateTime(s.firstMs * 1e6).slice(0, 16) : ''; } },
          { title: 'PROJECT', value: (r) => oneLine((r as { s?: SessionRow }).s?.project ?? '', 40) },
        ]),
      );
    }
  }
  const sourceLines = sources.map((s) => {
    const st = s.stats;
    const parts = [plural(st.files, 'file'), plural(st.entries, 'response')];
    if (st.duplicates) parts.push(`${plural(st.duplicates, 'duplicate')} removed`);
    if (st.brokenLines) parts.push(p.paint('yellow', `${plural(st.brokenLines, 'broken line')} skipped`));
    return `  ${st.agent.padEnd(12)} ${st.roots.length ? parts.join(', ') : p.paint('dim', 'no session files')}`;
  });
  out.push(p.paint('bold', 'Sources'), sourceLines.join('\n') + '\n');
  if (total.unknownCostCalls) out.push(p.paint('yellow', `${total.unknownCostCalls} response(s) of models without a known price: costs marked + are lower bounds\n`));
  ctx.io.out(out.join('\n'));
  return EXIT_OK;
}
