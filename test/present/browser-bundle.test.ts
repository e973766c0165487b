// The web UI bundles src/present: it must build for the browser (esbuild fails on any Node built-in) and run where
// only the JavaScript globals exist (a bare vm context: no require, process or Buffer).
import vm from 'node:vm';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('src/present in a browser', () => {
  it('bundles for the browser and formats without Node globals', async () => {
    const out = await build({
      entryPoints: [path.join(__dirname, '../../src/present/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'present',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0].text;
    const ctx = vm.createContext({});
    vm.runInContext(code, ctx);
    const run = (expr: string) => vm.runInContext(expr, ctx) as unknown;
    expect(run('typeof require + typeof process + typeof Buffer')).toBe('undefinedundefinedundefined');
    expect(run('present.formatDuration(65e9)')).toBe('1m05s');
    expect(run('present.formatCost(0.0012, 1)')).toBe('$0.0012+');
    expect(run('present.formatBytes(1536)')).toBe('1.5KiB');
    expect(run('present.errnoName(-2)')).toBe('ENOENT');
    expect(run('present.formatInt(1234567)')).toBe('1,234,567');
    expect(run("present.strWidth('漢字')")).toBe(4);
    expect(run('present.formatIso(1767323045678e6, true)')).toBe('2026-01-02T03:04:05.678Z');
  });
});
