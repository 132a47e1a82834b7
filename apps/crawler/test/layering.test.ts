import { layeringTests } from '@aiots/test-utils';

// An app depends only on the packages it uses, through their public entries.
layeringTests(new URL('..', import.meta.url), {
  aiots: ['@aiots/loop', '@aiots/loop/lowlevel', '@aiots/sync', '@aiots/http', '@aiots/redis'],
});
