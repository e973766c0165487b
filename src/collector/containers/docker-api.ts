/**
 * The few Docker Engine API calls a container scope needs, over the daemon's socket: no docker CLI required.
 * Where: $DOCKER_HOST (unix:///path or tcp://host:port, plain HTTP) or /var/run/docker.sock.
 */
import http from 'node:http';

export interface DockerContainer {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  running: boolean;
  /** Host pid of the container's first process (0 when not running). */
  pid: number;
  /** State.StartedAt: changes at each (re)start. */
  startedAt: string;
}

export class DockerApiError extends Error {}

interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
}

export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): Endpoint & { shown: string } {
  const h = env['DOCKER_HOST'];
  if (!h) return { socketPath: '/var/run/docker.sock', shown: 'unix:///var/run/docker.sock' };
  if (h.startsWith('unix://')) return { socketPath: h.slice('unix://'.length), shown: h };
  const m = /^tcp:\/\/([^:/]+)(?::(\d+))?\/?$/.exec(h);
  if (m) return { host: m[1], port: Number(m[2] ?? 2375), shown: h };
  throw new DockerApiError(`DOCKER_HOST=${h}: only unix:// and tcp:// are supported`);
}

/** GET a JSON document; resolves null on 404 (no such container). */
export function dockerGet<T>(path: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 5000): Promise<T | null> {
  const ep = dockerEndpoint(env);
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: ep.socketPath, host: ep.host ?? 'localhost', port: ep.port, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 404) return resolve(null);
        if (res.statusCode !== 200) return reject(new DockerApiError(`docker API ${path}: HTTP ${res.statusCode} ${body.trim().slice(0, 200)}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch {
          reject(new DockerApiError(`docker API ${path}: not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new DockerApiError(`docker API at ${ep.shown}: no answer in ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err instanceof DockerApiError ? err : new DockerApiError(`cannot reach the docker daemon at ${ep.shown} (${err.code ?? err.message})`)),
    );
  });
}

interface InspectJson {
  Id: string;
  Name: string;
  State: { Running: boolean; Pid: number; StartedAt: string };
}

/** A container by name, full id or unique id prefix; null when the daemon knows none. */
export async function inspectContainer(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<DockerContainer | null> {
  const j = await dockerGet<InspectJson>(`/containers/${encodeURIComponent(ref)}/json`, env);
  if (!j) return null;
  return { id: j.Id, name: j.Name.replace(/^\//, ''), running: j.State.Running, pid: j.State.Pid, startedAt: j.State.StartedAt };
}

/** The daemon answers here (a socket file may exist with no daemon behind it). */
export async function dockerReachable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  try {
    await dockerGet('/_ping', env, 2000).catch((e) => {
      // /_ping answers "OK", not JSON: reaching it is what counts
      if (e instanceof DockerApiError && /not JSON/.test(e.message)) return null;
      throw e;
    });
    return true;
  } catch {
    return false;
  }
}

/** Names of running containers by full id (for labelling processes seen outside a container scope). */
export async function containerNames(env: NodeJS.ProcessEnv = process.env): Promise<Map<string, string>> {
  const list = (await dockerGet<Array<{ Id: string; Names: string[] }>>('/containers/json', env)) ?? [];
  return new Map(list.map((c) => [c.Id, (c.Names[0] ?? '').replace(/^\//, '')]));
}
