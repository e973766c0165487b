import { describe, expect, it } from 'vitest';
import { redactArgv } from '../../src/collector/process/redact-command';
import { splitFailedExecs } from '../../src/store/exec-search';
import type { ExecRow } from '../../src/store';

let id = 0;
const ex = (processId: number, tsNs: number, filename: string, argv: string[], ret: number, argvClipped = false): ExecRow => ({ id: ++id, processId, tsNs, filename, argv, cwd: '/', ret, argvClipped });

describe('failed execs: failures and $PATH-search misses', () => {
  it('a miss is a failed exec the same process later completed with the same argv and file name elsewhere', () => {
    const rows = [
      ex(1, 10, '/a/bash', ['bash', 's.sh'], -2),
      ex(1, 11, '/b/bash', ['bash', 's.sh'], -13),
      ex(1, 12, '/usr/bin/bash', ['bash', 's.sh'], 0),
      // a later search in the same process (the script execs another program through env)
      ex(1, 20, '/a/tool', ['tool', '-x'], -20),
      ex(1, 21, '/usr/bin/tool', ['tool', '-x'], 0),
    ];
    const s = splitFailedExecs(rows);
    expect(s.failures).toEqual([]);
    expect(s.misses).toBe(3);
    expect(s.missesByProcess.get(1)).toBe(3);
  });

  it('a clipped failed argv matches the whole one it is a prefix of, and only when marked clipped', () => {
    const long = 'x'.repeat(3000);
    const rows = [
      ex(1, 10, '/a/basename', ['basename', '-a', long.slice(0, 1023)], -2, true),
      ex(1, 11, '/usr/bin/basename', ['basename', '-a', long, 'more'], 0),
      ex(2, 10, '/a/basename', ['basename', '-a', long.slice(0, 1023)], -2, false), // not marked: must be equal
      ex(2, 11, '/usr/bin/basename', ['basename', '-a', long, 'more'], 0),
      ex(3, 10, '/a/basename', ['basename', '-b', long.slice(0, 1023)], -2, true), // differs before the cut
      ex(3, 11, '/usr/bin/basename', ['basename', '-a', long], 0),
    ];
    const s = splitFailedExecs(rows);
    expect(s.missesByProcess.get(1)).toBe(1);
    expect(s.failures.map((f) => f.processId)).toEqual([2, 3]);
  });

  it('a clipped failed argv whose cut-off secret was redacted still matches the whole, redacted one', () => {
    const key = `ghp_${'a1'.repeat(18)}`;
    const rows = [
      ex(1, 10, '/a/tool', redactArgv(['tool', '-v', `--opt=${key.slice(0, 9)}`], true), -2, true),
      ex(1, 11, '/usr/bin/tool', redactArgv(['tool', '-v', `--opt=${key}`, 'more']), 0),
    ];
    expect(rows[0]!.argv[2]).not.toContain(key.slice(0, 9));
    const s = splitFailedExecs(rows);
    expect(s.misses).toBe(1);
    expect(s.failures).toEqual([]);
  });

  it('a script found further along the PATH completes the search through its interpreter (#! rewrites the exec row)', () => {
    const rows = [
      ex(1, 10, '/usr/local/bin/lsb_release', ['lsb_release', '-a'], -2),
      ex(1, 11, '/usr/sbin/lsb_release', ['lsb_release', '-a'], -2),
      ex(1, 12, '/usr/bin/dash', ['/bin/sh', '/usr/bin/lsb_release', '-a'], 0),
      // `#!/usr/bin/env -S python3 -u`-style: an interpreter option before the script
      ex(2, 10, '/a/tool', ['tool', 'x'], -2),
      ex(2, 11, '/usr/bin/python3', ['python3', '-u', '/opt/bin/tool', 'x'], 0),
      // not the same script (other name), not the same arguments
      ex(3, 10, '/a/tool', ['tool', 'x'], -2),
      ex(3, 11, '/usr/bin/dash', ['/bin/sh', '/opt/bin/other', 'x'], 0),
      ex(4, 10, '/a/tool', ['tool', 'x'], -2),
      ex(4, 11, '/usr/bin/dash', ['/bin/sh', '/opt/bin/tool', 'y'], 0),
    ];
    const s = splitFailedExecs(rows);
    expect(s.missesByProcess.get(1)).toBe(2);
    expect(s.missesByProcess.get(2)).toBe(1);
    expect(s.failures.map((f) => f.processId)).toEqual([3, 4]);
  });

  it('failures stay failures: found nowhere, other errors, other argv, another process, or success before the failure', () => {
    const rows = [
      ex(1, 10, '/a/nope', ['nope'], -2), // never found
      ex(2, 10, '/a/bash', ['bash'], -8), // ENOEXEC is not a search miss
      ex(2, 11, '/usr/bin/bash', ['bash'], 0),
      ex(3, 10, '/a/ls', ['ls', '-l'], -2), // different argv
      ex(3, 11, '/bin/ls', ['ls'], 0),
      ex(4, 10, '/a/cat', ['cat'], -2), // another process succeeded
      ex(5, 11, '/bin/cat', ['cat'], 0),
      ex(6, 12, '/a/rm', ['rm'], -2), // the success came before
      ex(6, 11, '/bin/rm', ['rm'], 0),
      ex(7, 10, '/x/run', ['run'], -2), // same path retried is not a search
      ex(7, 11, '/x/run', ['run'], 0),
    ];
    const s = splitFailedExecs(rows);
    expect(s.failures.map((f) => f.processId)).toEqual([1, 2, 3, 4, 6, 7]);
    expect(s.misses).toBe(0);
  });
});
