#!/usr/bin/env node
// The `aiots-crawl` executable.
import { cli } from './cli-main.ts';

await cli(process.argv.slice(2));
