import { docExampleTests } from '@aiots/test-utils';

// checkDocExamples' own example parses this package with TypeScript in a fresh process:
// seconds on a loaded two-core machine, so a longer limit than the default 10 s.
docExampleTests(new URL('..', import.meta.url), { timeoutMs: 30_000 });
