/**
 * Shared test helpers: gated servers whose requests wait until the test releases them, and
 * count, across every server of a group, the requests and connections open at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Gate {
  /** One URL per server of the group. */
  readonly urls: string[];
  /** Requests being held now. */
  active(): number;
  /** The most requests held at once, across the group. */
  maxActive(): number;
  /** The most connections open at once, per server (by index). */
  maxOpen(i: number): number;
  /** The most connections open at once, across the group. */
  maxOpenAll(): number;
  /** Requests received in all. */
  arrived(): number;
  /** Resolves once `n` requests in all have arrived. */
  arrivals(n: number): Promise<void>;
  /** Answers the oldest held request (200, its path as the body). */
  releaseOne(): void;
  /** Answers every held request, and every later one at once. */
  openAll(): void;
  /** The paths of the requests in arrival order. */
  order(): string[];
  close(): Promise<void>;
}

export async function gateServers(n = 1): Promise<Gate> {
  let active = 0;
  let maxActive = 0;
  let arrived = 0;
  let open = false;
  let openAll = 0;
  let maxOpenAll = 0;
  const held: [IncomingMessage, ServerResponse][] = [];
  const order: string[] = [];
  const watchers: [number, () => void][] = [];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const maxOpen: number[] = [];
  const answer = ([req, res]: [IncomingMessage, ServerResponse]) => {
    active--;
    res.end(req.url);
  };
  for (let i = 0; i < n; i++) {
    let openHere = 0;
    maxOpen.push(0);
    const server = createServer((req, res) => {
      arrived++;
      active++;
      maxActive = Math.max(maxActive, active);
      order.push(req.url ?? '');
      for (const w of watchers.filter(([k]) => arrived >= k)) {
        watchers.splice(watchers.indexOf(w), 1);
        w[1]();
      }
      if (open) answer([req, res]);
      else held.push([req, res]);
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      openHere++;
      openAll++;
      maxOpen[i] = Math.max(maxOpen[i] as number, openHere);
      maxOpenAll = Math.max(maxOpenAll, openAll);
      s.on('close', () => {
        sockets.delete(s);
        openHere--;
        openAll--;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  return {
    urls: servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`),
    active: () => active,
    maxActive: () => maxActive,
    maxOpen: (i) => maxOpen[i] as number,
    maxOpenAll: () => maxOpenAll,
    arrived: () => arrived,
    arrivals: (k) =>
      arrived >= k
        ? Promise.resolve()
        : new Promise<void>((resolve) => watchers.push([k, resolve])),
    releaseOne: () => {
      const h = held.shift();
      if (h !== undefined) answer(h);
    },
    openAll: () => {
      open = true;
      for (const h of held.splice(0)) answer(h);
    },
    order: () => order,
    close: async () => {
      open = true;
      for (const h of held.splice(0)) answer(h);
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
