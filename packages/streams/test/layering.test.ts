import { layeringTests } from '@aiots/test-utils';

// The design's layering: streams builds on @aiots/loop's public entries only.
layeringTests(new URL('..', import.meta.url), { aiots: ['@aiots/loop', '@aiots/loop/lowlevel'] });
