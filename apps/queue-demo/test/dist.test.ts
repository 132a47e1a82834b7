import { docExampleTests } from '@aiots/test-utils';
import { beforeAll } from 'vitest';
import { ensureDist } from './dist-build.ts';

beforeAll(() => ensureDist(), 180_000);

// Every example again, against the built dist/ as an installed package resolves it.
docExampleTests(new URL('..', import.meta.url), { built: true });
