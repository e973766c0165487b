/**
 * The causal linker matches a tool's command text to the command lines of the processes it caused. Stored argv is
 * redacted (redact-command.ts) while the tool input in the model request still holds the secret: the match compares
 * redacted forms on both sides, so a command carrying a key is still linked as 'lineage+window+command'.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CausalLinker } from '../../src/collector/causal-linker';
import { redactArgv } from '../../src/collector/process/redact-command';
import { createRecording, type ProcessRow } from '../../src/store';

const T0 = 1.76e18;

function proc(id: number, argv: string[], startNs: number): ProcessRow {
  return {
    id, pid: 1000 + id, ppid: 1, parentId: null, sessionId: 1, startNs, kstartNs: id, uid: 0, comm: argv[0]!.slice(0, 15),
    exe: `/usr/bin/${argv[0]}`, argv, argvClipped: false, cwd: '/', execNs: startNs, exitNs: startNs + 1e6, exitCode: 0,
    exitSignal: null, coreDumped: false, seeded: false, peakRssKb: null, containerId: null, containerName: null, nsPid: null,
  };
}

describe('causal linker with redacted command lines', () => {
  it('links a command carrying secrets to its process by command, comparing redacted forms', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linker-'));
    const file = path.join(dir, 'r.db');
    const store = createRecording(file);
    const key = `sk-ant-api03-${'k7'.repeat(30)}`;
    const command = `curl --api-key ${key} -H x-trace:1 https://api.example.com/v1?key=AIza${'Q9'.repeat(18)}`;
    store.putSession({ id: 1, agent: 'claude-code', externalId: null, rootProcessId: null, title: 't', startNs: T0, endNs: null });
    // What the collector stores: the argv, redacted. Another process in the window runs something else.
    const stored = redactArgv(command.split(' '));
    expect(stored.join(' ')).not.toContain(key);
    store.putProcess(proc(1, stored, T0 + 2e6));
    store.putProcess(proc(2, ['ls', '-la'], T0 + 3e6));
    store.flush();
    // The tool input as the model sent it, secret included.
    const call = {
      id: 1, llmCallId: 99, sessionId: 1, callId: 'toolu_1', name: 'Bash', inputJson: JSON.stringify({ command }),
      tsNs: T0, resultLlmCallId: null, resultText: null, resultIsError: null, resultNs: T0 + 1e9,
    };
    store.putToolCall(call);
    store.flush();
    const linker = new CausalLinker(store);
    linker.enqueue(call);
    linker.tick();
    store.flush();
    const links = store.causalLinks({ toolCallId: 1 }).filter((l) => l.targetKind === 'process');
    expect(links.map((l) => [l.targetId, l.method])).toEqual([[1, 'lineage+window+command'], [2, 'lineage+window']]);
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
