import { aiotsVitest } from '../../vitest.config.base.ts';

export default aiotsVitest();
