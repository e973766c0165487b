/** `1 file`, `2 files`; `many` for irregular plurals (`plural(n, 'process', 'processes')`). */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}
