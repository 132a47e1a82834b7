import { docExampleTests } from '@aiots/test-utils';

// Every public export has TSDoc with an @example; every example and README block runs (each
// starts its own throwaway redis-server through @aiots/redis/testing).
docExampleTests(new URL('..', import.meta.url), { timeoutMs: 20_000 });
