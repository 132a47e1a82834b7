import { docExampleTests } from '@aiots/test-utils';

// Every public export has TSDoc with an @example; every example and README block runs.
docExampleTests(new URL('..', import.meta.url));
