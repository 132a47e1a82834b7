import { layeringTests } from '@aiots/test-utils';

// An app depends only on the packages it uses: the demo builds on @aiots/loop, @aiots/sync
// and (for --redis) @aiots/redis's public entries, nothing else.
layeringTests(new URL('..', import.meta.url), {
  aiots: ['@aiots/loop', '@aiots/sync', '@aiots/redis'],
});
