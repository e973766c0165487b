/** CPU% and RSS samples: pure parsing, and a real busy process under capture. */
import { describe, expect, it } from 'vitest';
import { cpuPercent, parseStat } from '../../../src/collector/resources/proc-stat';
import { describeBpf } from '../../helpers/bpf-env';
import { ALL, captureCommand, PYTHON, tempDir } from '../../helpers/capture';

describe('proc stat parsing', () => {
  it('reads utime+stime and start time past a comm with spaces and parentheses', () => {
    const f = Array.from({ length: 50 }, (_, i) => String(i));
    const text = `42 (a) b (c) ${f.slice(0, 11).join(' ')} 700 300 ${f.slice(13, 19).join(' ')} 12345 rest`;
    expect(parseStat(text)).toEqual({ cpuTicks: 1000, startTicks: 12345 });
    expect(parseStat('garbage')).toBeNull();
  });
  it('turns ticks over an interval into a percentage of one core', () => {
    expect(cpuPercent(100, 1e9)).toBe(100);
    expect(cpuPercent(50, 2e9)).toBe(25);
    expect(cpuPercent(10, 0)).toBe(0);
    expect(cpuPercent(-5, 1e9)).toBe(0);
  });
});

describeBpf('resource samples', ['process'], () => {
  it('samples CPU and RSS of a traced process about once a second', async () => {
    const dir = tempDir('agentsight-res-');
    const busy = `
import time
b = bytearray(64 * 1024 * 1024)
for i in range(0, len(b), 4096): b[i] = 1
t0, c0 = time.time(), time.process_time()
end = t0 + 3.2
while time.time() < end: pass
print((time.process_time() - c0) / (time.time() - t0) * 100)
`;
    const cap = await captureCommand(dir, PYTHON, ['-c', busy]);
    expect(cap.exitCode).toBe(0);
    const proc = cap.store.processes(ALL).find((p) => p.comm.startsWith('python'));
    expect(proc).toBeDefined();
    const samples = cap.store.resourceSamples(proc!.id);
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.length).toBeLessThanOrEqual(5);
    expect(Math.max(...samples.map((s) => s.rssKb))).toBeGreaterThan(60 * 1024);
    // the loop's own measure of its CPU share (other work on shared cores lowers both alike)
    const ownPct = Number(cap.stdout.trim());
    expect(ownPct).toBeGreaterThan(5);
    const peak = Math.max(...samples.map((s) => s.cpuPct));
    expect(peak).toBeGreaterThan(ownPct * 0.6);
    expect(peak).toBeLessThan(Math.max(ownPct * 1.5, ownPct + 20));
    expect(samples.every((s, i) => i === 0 || s.tsNs > samples[i - 1].tsNs)).toBe(true);
    expect(proc!.peakRssKb).toBeGreaterThan(60 * 1024);
    cap.store.close();
  });
});
