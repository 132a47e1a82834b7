import { docExampleTests } from '@aiots/test-utils';

// Every example again, against the built dist/ as an installed package resolves it.
docExampleTests(new URL('..', import.meta.url), { built: true, timeoutMs: 20_000 });
