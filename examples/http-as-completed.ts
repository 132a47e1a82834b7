// The seed's fan-out with asyncio.as_completed(): results in the order they finish, not the
// order they were asked for. The local site answers /fast at once, /medium 300 ms after
// /fast was answered, and /slow 300 ms after /medium.
import { ClientSession, serve } from '@aiots/http';
import { asCompleted, createTask, run, sleep } from '@aiots/loop';
import { Event } from '@aiots/sync';

const answered: Record<string, Event> = {
  fast: new Event(),
  medium: new Event(),
  slow: new Event(),
};
const after: Record<string, string | undefined> = {
  fast: undefined,
  medium: 'fast',
  slow: 'medium',
};
const site = await serve(async (req) => {
  const name = req.path.slice(1);
  const previous = after[name];
  if (previous !== undefined) {
    await answered[previous]?.wait();
    await sleep(300);
  }
  answered[name]?.set();
  return { page: name };
});

await run(async () => {
  await using session = new ClientSession({ baseUrl: site.url });
  const tasks = ['slow', 'medium', 'fast'].map((name) =>
    createTask(async () => (await session.get(`/${name}`)).json<{ page: string }>()),
  );
  let n = 0;
  // for coro in asyncio.as_completed(tasks): result = await coro
  for await (const done of asCompleted(tasks, { timeoutMs: 10_000 })) {
    const page = done.result(); // the finished task itself: its result, or its error
    console.log(`completed #${++n}: ${page.page}`);
  }
  console.log(`all ${n} pages, as each completed`);
});
await site.close();
