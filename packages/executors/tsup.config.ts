import { aiotsTsup } from '../../tsup.config.base.ts';

export default aiotsTsup(['src/worker.ts', 'src/thread-worker.js', 'src/process-worker.js']);
