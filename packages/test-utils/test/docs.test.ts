import { docExampleTests } from '@aiots/test-utils';

docExampleTests(new URL('..', import.meta.url));
