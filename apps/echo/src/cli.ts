#!/usr/bin/env node
// The `aiots-echo` executable.
import { cli } from './cli-main.ts';

await cli(process.argv.slice(2));
