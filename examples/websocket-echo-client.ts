// The seed's aiohttp WebSocket client (session.ws_connect(), `async for msg in ws`), against
// a local echo server (the `ws` package) instead of a remote one.
import { ClientSession } from '@aiots/http';
import { run } from '@aiots/loop';
import { WebSocketServer } from 'ws';

// The echo server: every message comes back prefixed with "echo: ".
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (socket) => socket.on('message', (m) => socket.send(`echo: ${m}`)));
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
const { port } = wss.address() as { port: number };

await run(async () => {
  await using session = new ClientSession();
  await using ws = await session.wsConnect(`ws://127.0.0.1:${port}/ws`);
  const messages = ['hello', 'asyncio', 'close cmd'];
  await ws.send(messages[0] as string);
  let next = 1;
  for await (const msg of ws) {
    if (msg.type !== 'text') continue;
    console.log(`received: ${msg.data}`);
    const reply = messages[next++];
    if (reply === 'close cmd' || reply === undefined) {
      await ws.close();
      break;
    }
    await ws.send(reply);
  }
  console.log(`closed with code ${ws.closeCode}`);
});
await new Promise<void>((resolve) => wss.close(() => resolve()));
