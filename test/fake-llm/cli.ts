/**
 * Runs the fake LLM server as its own process:
 *   npx tsx test/fake-llm/cli.ts [--port N] [--encoding auto|identity|gzip|br|zstd] [--delay-ms N] [--think-ms N]
 *                                [--http1-only] [--record-dir DIR]
 * Prints one JSON line on stdout once listening: {"port","url","caCertPath","caBundlePath","env"}.
 * With --record-dir, each connection's plaintext is written there as a fixture file when the process gets
 * SIGINT/SIGTERM. Stops on SIGINT/SIGTERM or when stdin closes (so a parent test cannot leak it).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { saveConnectionFixture, startFakeLlmServer, type Encoding } from './server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const srv = await startFakeLlmServer({
    port: Number(arg('--port') ?? 0),
    encoding: (arg('--encoding') as Encoding | 'auto' | undefined) ?? 'auto',
    eventDelayMs: Number(arg('--delay-ms') ?? 0),
    replyDelayMs: Number(arg('--think-ms') ?? 0),
    alpn: process.argv.includes('--http1-only') ? ['http/1.1'] : ['h2', 'http/1.1'],
  });
  const recordDir = arg('--record-dir');
  process.stdout.write(`${JSON.stringify({ port: srv.port, url: srv.url, caCertPath: srv.caCertPath, caBundlePath: srv.caBundlePath, env: srv.env })}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (recordDir) {
      mkdirSync(recordDir, { recursive: true });
      for (const c of srv.connections) saveConnectionFixture(c, join(recordDir, `conn-${c.id}.json`), `fake-llm connection ${c.id}`);
    }
    await srv.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (!process.stdin.isTTY) {
    process.stdin.resume();
    process.stdin.on('end', () => void stop());
  }
}

void main().catch((err) => {
  process.stderr.write(`fake-llm: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
