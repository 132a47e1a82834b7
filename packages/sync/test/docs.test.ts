import { docExampleTests } from '@aiots/test-utils';

// Every public export has TSDoc with an @example; every example and README block
// typechecks, runs, and prints what its comments promise.
docExampleTests(new URL('..', import.meta.url));
