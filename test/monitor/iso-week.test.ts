// ISO weeks in UTC (the monitor's file names), retention's week arithmetic, and the monitor's user and size parsing.
import { describe, expect, it } from 'vitest';
import { isoWeekOf, nextWeekStartMs, weekLabel, weeksBetween, weekStartMs } from '../../src/monitor/iso-week';
import { weekOfFileName } from '../../src/monitor/monitor-paths';
import { mondayOf } from '../../src/monitor/retention';
import { agentPatterns, passwdUsers } from '../../src/monitor/monitor';
import { recogniseAgent } from '../../src/collector/process/agents';
import { parseSize } from '../../src/cli/monitor-command';

const at = (iso: string) => Date.parse(iso);

describe('ISO weeks (UTC)', () => {
  it.each([
    ['2026-12-07T00:00:00Z', '2026-W50'], // a Monday
    ['2026-12-06T23:59:59.999Z', '2026-W49'], // the Sunday before
    ['2026-12-31T12:00:00Z', '2026-W53'], // 2026 has 53 weeks (it starts on a Thursday)
    ['2027-01-03T12:00:00Z', '2026-W53'], // early January can belong to the previous ISO year
    ['2027-01-04T00:00:00Z', '2027-W01'],
    ['2024-12-30T08:00:00Z', '2025-W01'], // late December can belong to the next one
    ['2021-01-03T08:00:00Z', '2020-W53'],
  ])('%s is in %s', (t, label) => {
    expect(weekLabel(isoWeekOf(at(t)))).toBe(label);
  });

  it('weeks start on Monday 00:00 UTC; the next starts 7 days later', () => {
    expect(new Date(weekStartMs(at('2026-12-09T15:00:00Z'))).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(new Date(nextWeekStartMs(at('2026-12-13T23:59:59Z'))).toISOString()).toBe('2026-12-14T00:00:00.000Z');
    expect(new Date(nextWeekStartMs(at('2026-12-14T00:00:00Z'))).toISOString()).toBe('2026-12-21T00:00:00.000Z');
  });

  it('lists the weeks of a range, across a year, and none for an empty range', () => {
    expect(weeksBetween(at('2026-12-24T00:00:00Z'), at('2027-01-05T00:00:00Z')).map(weekLabel)).toEqual(['2026-W52', '2026-W53', '2027-W01']);
    expect(weeksBetween(at('2026-12-24T00:00:00Z'), at('2026-12-01T00:00:00Z'))).toEqual([]);
  });

  it('file names map back to their week, and the week to its Monday', () => {
    expect(weekOfFileName('monitor-2026-W53-3.db')).toEqual({ year: 2026, week: 53 });
    expect(weekOfFileName('monitor-2026-W53.db-wal')).toBeNull();
    expect(weekOfFileName('agentsight-20261207.db')).toBeNull();
    expect(new Date(mondayOf(2026, 53)).toISOString()).toBe('2026-12-28T00:00:00.000Z');
    expect(new Date(mondayOf(2025, 1)).toISOString()).toBe('2024-12-30T00:00:00.000Z');
  });
});

describe('monitor options', () => {
  it('records root and login users, not system accounts or nobody', () => {
    const passwd = [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'ann:x:1000:1000::/home/ann:/bin/bash',
      'svc:x:1001:1001::/srv:/usr/sbin/nologin',
      'bob:x:1002:100::/home/bob:/bin/zsh',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    ].join('\n');
    expect(passwdUsers(passwd)).toEqual([
      { uid: 0, gid: 0, name: 'root' },
      { uid: 1000, gid: 1000, name: 'ann' },
      { uid: 1002, gid: 100, name: 'bob' },
    ]);
  });

  it('--agent NAME recognises that program by path or as a script, not as an argument', () => {
    const p = agentPatterns(['my.agent']);
    expect(recogniseAgent('/opt/bin/my.agent', ['my.agent'], p)).toBe('my.agent');
    expect(recogniseAgent('/usr/bin/python3', ['python3', '/home/a/my.agent'], p)).toBe('my.agent');
    expect(recogniseAgent('/usr/bin/grep', ['grep', 'x', 'my.agent'], p)).toBeNull();
    expect(recogniseAgent('/opt/bin/myXagent', ['myXagent'], p)).toBeNull(); // the dot is literal
  });

  it('sizes', () => {
    expect(parseSize('4G')).toBe(4 * 1024 ** 3);
    expect(parseSize('500M')).toBe(500 * 1024 ** 2);
    expect(parseSize('1.5KiB')).toBe(1536);
    expect(parseSize('123')).toBe(123);
    expect(() => parseSize('0')).toThrow(/--max-size/);
    expect(() => parseSize('-1G')).toThrow(/--max-size/);
    expect(() => parseSize('4X')).toThrow(/--max-size/);
  });
});
