#!/usr/bin/env node
// The `aiots-queue-demo` executable.
import { cli } from './cli-main.ts';

await cli(process.argv.slice(2));
