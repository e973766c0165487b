// A collector stand-in for the exec-hold tests: opens a capture with the hold on and never continues anything, so
// that what the guard does is all that can continue a held process. argv: <timeoutMs> <program> [args...]
// Prints "held <pid>" once its child is stopped, then waits to be killed (or exits after 60 s).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const dist = process.env.AGENTSIGHT_DIST;
const { BpfCapture } = require(`${dist}/collector/bpf-capture`);
const cap = BpfCapture.open({ allProcesses: false, groups: ['process'] });
if (!cap.host.execHold(1 << 20, Number(process.argv[2]))) throw new Error('no exec hold');
cap.addSeed(process.pid);
// Reachable for as long as this process runs: nothing below refers to the capture, and a collected BpfCapture frees
// its host, which closes the guard's pipe — the guard then continues every held process at once (what it is for). A
// heap that happened to collect before the first check made this stand-in "never hold" its child (session 6's race).
globalThis.capture = cap;
const child = spawn(process.argv[3], process.argv.slice(4), { stdio: 'ignore' });
const state = () => {
  try {
    return fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
  } catch {
    return '?';
  }
};
const t = setInterval(() => {
  if (state() === 'T') {
    clearInterval(t);
    console.log(`held ${child.pid}`);
  }
}, 5);
setTimeout(() => process.exit(3), 60_000);
