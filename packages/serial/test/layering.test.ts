import { layeringTests } from '@aiots/test-utils';

// The design's layering: serial builds on @aiots/streams and @aiots/loop's public entries.
layeringTests(new URL('..', import.meta.url), {
  aiots: ['@aiots/loop', '@aiots/loop/lowlevel', '@aiots/streams'],
});
