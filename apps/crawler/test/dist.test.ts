import { docExampleTests } from '@aiots/test-utils';
import { beforeAll } from 'vitest';
import { CLI_DEPS, ensureDist } from './dist-build.ts';

beforeAll(() => ensureDist(CLI_DEPS), 180_000);

// Every example again, against the built dist/ as an installed package resolves it.
docExampleTests(new URL('..', import.meta.url), { built: true });
