// The seed's fan-out with asyncio.as_completed(): results in the order they finish, not the
// order they were asked for. The local site answers the pages after different delays.
import { ClientSession, serve } from '@aiots/http';
import { asCompleted, createTask, run, sleep } from '@aiots/loop';

const delays: Record<string, number> = { slow: 800, medium: 400, fast: 0 };
const site = await serve(async (req) => {
  const name = req.path.slice(1);
  await sleep(delays[name] ?? 0);
  return { page: name, waitedMs: delays[name] ?? 0 };
});

await run(async () => {
  await using session = new ClientSession({ baseUrl: site.url });
  const tasks = ['slow', 'medium', 'fast'].map((name) =>
    createTask(async () =>
      (await session.get(`/${name}`)).json<{ page: string; waitedMs: number }>(),
    ),
  );
  let n = 0;
  // for coro in asyncio.as_completed(tasks): result = await coro
  for await (const done of asCompleted(tasks, { timeoutMs: 10_000 })) {
    const page = done.result(); // the finished task itself: its result, or its error
    console.log(`completed #${++n}: ${page.page} (the server waited ${page.waitedMs} ms)`);
  }
  console.log(`all ${n} pages, as each completed`);
});
await site.close();
