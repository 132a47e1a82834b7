import { exportSurfaceTests } from '@aiots/test-utils';

// Every public name is a recorded decision (api-surface.json); no internal in the .d.ts.
exportSurfaceTests(new URL('..', import.meta.url));
