import { layeringTests } from '@aiots/test-utils';

// The bottom layer: @aiots/loop imports no other @aiots package.
layeringTests(new URL('..', import.meta.url), { aiots: [] });
