// The seed's aiohttp program: one ClientSession, session.get() for each URL, the responses
// gathered (in the order asked). A local site on serve() stands in for the web.
import { ClientSession, serve } from '@aiots/http';
import { gather, run } from '@aiots/loop';

const site = await serve(async (req) => {
  if (req.path === '/missing') return new Response('no such page', { status: 404 });
  return new Response(`<html><body>${req.path}</body></html>`, {
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });
});
const urls = ['/', '/python', '/asyncio', '/missing'].map((path) => `${site.url}${path}`);

async function fetch(session: ClientSession, url: string): Promise<[number, string]> {
  // async with session.get(url) as response: return response.status, await response.text()
  await using response = await session.get(url);
  return [response.status, await response.text()];
}

await run(async () => {
  await using session = new ClientSession();
  const results = await gather(urls.map((url) => fetch(session, url)));
  for (const [i, [status, body]] of results.entries()) {
    const path = new URL(urls[i] as string).pathname;
    console.log(`${path}: ${status}, ${body.length} characters`);
  }
});
await site.close();
