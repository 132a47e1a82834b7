// The seed's bounded HTTP fan-out: many GETs through one ClientSession, at most N at once
// with an asyncio-style Semaphore held around each request (`async with sem:`). A local
// site on serve() stands in for the web, and counts how many requests it had at once.
import { ClientSession, serve } from '@aiots/http';
import { gather, run, sleep } from '@aiots/loop';
import { Semaphore } from '@aiots/sync';

let inFlight = 0;
let most = 0;
const site = await serve(async (req) => {
  most = Math.max(most, ++inFlight);
  try {
    await sleep(10); // a little work, so requests overlap
    return new Response(`<h1>Page ${req.query.get('page')}</h1>`, {
      headers: { 'content-type': 'text/html' },
    });
  } finally {
    inFlight--;
  }
});

const urls = Array.from({ length: 20 }, (_, i) => `${site.url}/article?page=${i + 1}`);

async function fetch(session: ClientSession, sem: Semaphore, url: string): Promise<string> {
  await using _slot = await sem.hold(); // async with sem:
  const res = await session.get(url, { raiseForStatus: true });
  return res.text();
}

await run(async () => {
  const sem = new Semaphore(5);
  await using session = new ClientSession();
  const pages = await gather(urls.map((url) => fetch(session, sem, url)));
  console.log(`fetched ${pages.length} pages`);
  console.log(`first: ${pages[0]}`);
  console.log(`last: ${pages.at(-1)}`);
});
await site.close();
console.log(`at most ${most} requests at once (the semaphore allows 5)`);
