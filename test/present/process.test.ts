/** Process names, argv quoting and exit statuses, the same in every view. */
import { describe, expect, it } from 'vitest';
import { exitStatus, formatArgv, noun, plural, processDurationNs, processName } from '../../src/present';

describe('processes', () => {
  it('quotes argv the way a shell user would type it', () => {
    expect(formatArgv(['bash', '-c', "echo 'hi' && ls"])).toBe(`bash -c 'echo '\\''hi'\\'' && ls'`);
    expect(formatArgv(['ls', '-la', '/tmp/a_b@c%d+e=f:g,h.i'])).toBe('ls -la /tmp/a_b@c%d+e=f:g,h.i');
    expect(formatArgv(['printf', ''])).toBe(`printf ''`);
    expect(formatArgv(['echo', '漢字'])).toBe(`echo '漢字'`);
  });

  it('names a process by argv[0] basename, else comm', () => {
    const p = (argv: string[]) => ({ argv, comm: 'comm' }) as never;
    expect(processName(p(['/usr/bin/node', 'x']))).toBe('node');
    expect(processName(p(['/usr/bin/']))).toBe('comm');
    expect(processName(p([]))).toBe('comm');
  });

  it('says how a process ended as of a moment', () => {
    const p = { startNs: 2, exitNs: 10, exitCode: 3, exitSignal: null, coreDumped: false } as never;
    expect(exitStatus(p)).toBe('exit 3');
    expect(exitStatus(p, 5)).toBe('running');
    expect(exitStatus({ exitNs: 10, exitCode: null, exitSignal: 9, coreDumped: false } as never)).toBe('killed SIGKILL');
    expect(exitStatus({ exitNs: 10, exitCode: null, exitSignal: 11, coreDumped: true } as never)).toBe('killed SIGSEGV (core)');
    expect(exitStatus({ exitNs: 10, exitCode: null, exitSignal: null, coreDumped: false } as never)).toBe('exited');
    expect(processDurationNs(p, 5)).toBe(3);
    expect(processDurationNs(p, 50)).toBe(8);
  });

  it('plurals', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(0, 'file')).toBe('0 files');
    expect(plural(2, 'process', 'processes')).toBe('2 processes');
    expect(noun(1, 'binary', 'binaries')).toBe('binary');
    expect(noun(3, 'binary', 'binaries')).toBe('binaries');
  });
});
