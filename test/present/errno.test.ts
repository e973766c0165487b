/** errno and signal names from static Linux tables, checked against what Node knows of this machine. */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { errnoName, resultName, signalName } from '../../src/present';

/** Two names for one number in the kernel headers: the table holds the first. */
const ALIASES: Record<string, string> = { EWOULDBLOCK: 'EAGAIN', ENOTSUP: 'EOPNOTSUPP', EDEADLOCK: 'EDEADLK', SIGIOT: 'SIGABRT', SIGPOLL: 'SIGIO' };

describe('errno names', () => {
  it('name errno values of either sign, and say when a number is unknown', () => {
    expect(errnoName(-2)).toBe('ENOENT');
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoName(-13)).toBe('EACCES');
    expect(errnoName(-11)).toBe('EAGAIN');
    expect(errnoName(-95)).toBe('EOPNOTSUPP');
    expect(errnoName(-126)).toBe('ENOKEY');
    expect(errnoName(-99999)).toBe('errno 99999');
    expect(errnoName(0)).toBe('errno 0');
  });

  it('a syscall result is ok when not negative', () => {
    expect(resultName(0)).toBe('ok');
    expect(resultName(3)).toBe('ok');
    expect(resultName(-2)).toBe('ENOENT');
  });

  it('agree with every errno and signal Node knows on Linux', () => {
    if (process.platform !== 'linux') return;
    for (const [name, num] of Object.entries(os.constants.errno)) expect(errnoName(-num)).toBe(ALIASES[name] ?? name);
    for (const [name, num] of Object.entries(os.constants.signals)) {
      if (num >= 32) continue; // SIGRTMIN and up: real-time signals have no fixed names
      expect(signalName(num)).toBe(ALIASES[name] ?? name);
    }
  });

  it('signal names', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(99)).toBe('signal 99');
  });
});
