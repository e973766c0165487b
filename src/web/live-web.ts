/**
 * The web UI of a live recording (`record`, live `top`): served from the recording process itself on
 * 127.0.0.1:7395, or the next free port, through the same RecordingReader the terminal views read. `--no-web`
 * turns it off. Failing to serve never stops a recording: it is said in one line and the capture goes on.
 */
import type { RecordingReader } from '../store';
import { DEFAULT_WEB_PORT } from './serve-command';
import type { WebServer } from './server';

export interface LiveWeb {
  readonly url: string;
  close(): Promise<void>;
}

export async function startLiveWeb(reader: RecordingReader, say: (line: string) => void): Promise<LiveWeb | null> {
  let server: WebServer;
  try {
    const { startWebServer } = await import('./server');
    server = await startWebServer({ reader, host: '127.0.0.1', port: DEFAULT_WEB_PORT, live: true, nextFreePort: true });
  } catch (err) {
    say(`agentsight: web UI not served: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
  say(`agentsight: live web UI at ${server.url}`);
  return { url: server.url, close: () => server.close() };
}
