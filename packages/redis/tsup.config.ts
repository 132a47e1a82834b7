import { aiotsTsup } from '../../tsup.config.base.ts';

export default aiotsTsup(['src/testing.ts']);
