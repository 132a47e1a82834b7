// The seed's subprocesses with piped output: stream a child's stdout line by line, feed
// another through communicate(), and time out a third (cancelling communicate() kills it).
import { run, TimeoutError, waitFor } from '@aiots/loop';
import { createSubprocessExec, createSubprocessShell } from '@aiots/streams';

await run(async () => {
  const lister = await createSubprocessShell('for i in 1 2 3; do echo "line $i"; done', {
    stdout: 'pipe',
  });
  for await (const line of lister.stdout ?? []) console.log(`stdout: ${line.toString().trim()}`);
  console.log(`exit code ${await lister.wait()}`);

  const sorter = await createSubprocessExec('sort', ['-r'], { stdin: 'pipe', stdout: 'pipe' });
  const [sorted] = await sorter.communicate('apple\ncherry\nbanana\n');
  console.log(`sorted: ${sorted?.toString().trim().split('\n').join(', ')}`);

  const sleeper = await createSubprocessExec('sleep', ['30'], { stdout: 'pipe' });
  try {
    await waitFor(sleeper.communicate(), 100);
  } catch (e) {
    if (!TimeoutError.is(e)) throw e;
    console.log(`timed out; the child was killed: returncode ${sleeper.returncode}`);
  }
});
