/** `file` for 1, `files` otherwise; `many` for irregular plurals (`noun(n, 'binary', 'binaries')`). */
export function noun(n: number, one: string, many = one + 's'): string {
  return n === 1 ? one : many;
}

/** `1 file`, `2 files`; `many` for irregular plurals (`plural(n, 'process', 'processes')`). */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${noun(n, one, many)}`;
}
