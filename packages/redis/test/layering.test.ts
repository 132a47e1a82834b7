import { layeringTests } from '@aiots/test-utils';

// The design's layering: redis builds on @aiots/loop's public entries and @aiots/sync only.
layeringTests(new URL('..', import.meta.url), {
  aiots: ['@aiots/loop', '@aiots/loop/lowlevel', '@aiots/sync'],
});
