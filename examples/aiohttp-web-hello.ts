// The aiohttp.web "Hello, world" server on serve(): GET / answers "Hello, Anonymous" and
// GET /{name} answers "Hello, {name}". Run with --forever to keep it serving (Ctrl-C stops
// it); by default it answers two requests of its own and stops.
import { ClientSession, type ServerRequest, serve } from '@aiots/http';
import { run } from '@aiots/loop';

async function handle(request: ServerRequest): Promise<Response> {
  const name = decodeURIComponent(request.path.slice(1)) || 'Anonymous';
  return new Response(`Hello, ${name}`, { headers: { 'content-type': 'text/plain' } });
}

const forever = process.argv.includes('--forever');
const server = await serve(handle, { port: forever ? 8080 : 0 });
console.log(`Serving on ${server.url}`);

if (forever) {
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
} else {
  await run(async () => {
    await using session = new ClientSession({ baseUrl: server.url });
    for (const path of ['/', '/Ada']) {
      const res = await session.get(path);
      console.log(`GET ${path} -> ${res.status} ${await res.text()}`);
    }
  });
}
await server.close();
