/**
 * Command-line redaction cost (issue 14): every exec's argv goes through redactArgv before it is stored. Measured on
 * argvs shaped like a build's (npm, node-gyp, compilers, git, curl) and a few carrying secrets, per argv, against
 * JSON.stringify of the same argv in the same rounds (the least that storing an argv costs), min of rounds.
 */
import { redactArgv } from '../collector/process/redact-command';
import type { BenchResult } from './types';

const ARGVS: readonly string[][] = [
  ['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'ci', '--no-audit', '--prefer-offline'],
  ['sh', '-c', 'node-gyp rebuild --release && cp build/Release/x.node lib/ 2>/dev/null || true'],
  ['/usr/bin/git', 'rev-parse', '--show-toplevel'],
  ['gcc', '-O2', '-fPIC', '-I/usr/include/node', '-DNODE_GYP_MODULE_NAME=foo', '-c', 'src/a.c', '-o', 'out/a.o'],
  ['curl', '-sS', 'https://registry.npmjs.org/foo?version=1.2.3'],
  ['/bin/true'],
  ['cc1', '-quiet', '-I', '/usr/include', 'x.c', '-dumpbase', 'x.c', '-mtune=generic', '-march=x86-64', '-o', '/tmp/ccX.s'],
  ['python3', '-c', 'import sys; print(sys.argv)', '--verbose'],
  // With secrets (a few percent of real command lines at most).
  ['claude', '--api-key', `sk-ant-api03-${'a1B2'.repeat(20)}`, '-p', 'fix the tests'],
  ['curl', '-H', `Authorization: Bearer ${'Zx9'.repeat(14)}`, 'https://api.example.com/v1/models?key=AIza0123456789abcdefghijklmnopqrstuvw'],
];

export async function runRedactBench(): Promise<BenchResult[]> {
  const n = 20_000;
  let red = Infinity;
  let json = Infinity;
  for (let round = 0; round < 15; round++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) for (const a of ARGVS) redactArgv(a);
    red = Math.min(red, Number(process.hrtime.bigint() - t) / (n * ARGVS.length));
    t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) for (const a of ARGVS) JSON.stringify(a);
    json = Math.min(json, Number(process.hrtime.bigint() - t) / (n * ARGVS.length));
  }
  const detail = `${ARGVS.length} argvs (2 with secrets) × ${n}, min of 15 rounds; JSON.stringify of the same argv ${json.toFixed(0)} ns`;
  return [
    { name: 'redactArgv per argv', value: Math.round(red), unit: 'ns', detail },
    { name: 'redactArgv ÷ JSON.stringify', value: Math.round((red / json) * 100) / 100, unit: 'x', detail: 'same rounds, same argvs' },
  ];
}
