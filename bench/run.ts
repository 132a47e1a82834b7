/**
 * Runs every `*.bench.ts` beside this file, or the ones named on the command line
 * (`pnpm bench loop sync`; `--grep text` keeps only the comparisons whose title contains it),
 * then prints the Markdown table of what ran and merges it into results.json: suites and
 * comparisons that did not run keep their previous results.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  environment,
  markdownTable,
  type ResultsFile,
  results,
  setGrep,
  setSuite,
} from './harness.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { grep: { type: 'string' } },
});
setGrep(values.grep);

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const wanted = positionals.map((a) => a.replace(/(\.bench)?(\.ts)?$/, ''));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
const suites = wanted.length > 0 ? wanted : available;

const env = environment();
console.log(
  `aiots benchmarks on Node ${env.node}, ${env.cpu} x${env.cores}, load average ${JSON.stringify(env.loadavg)}`,
);
for (const suite of suites) {
  setSuite(suite);
  console.log(`\n=== ${suite}.bench.ts`);
  await import(pathToFileURL(`${here}${suite}.bench.ts`).href);
}

const ran = results().filter((r) => !r.skipped);
console.log(`\n${markdownTable(ran)}`);

const file = `${here}results.json`;
let data: ResultsFile = { suites: {} };
try {
  data = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
} catch {
  // First run: no results yet.
}
const date = new Date().toISOString();
for (const suite of suites) {
  const fresh = ran.filter((r) => r.suite === suite);
  if (fresh.length === 0) continue;
  // With --grep, the comparisons left out keep their last results, in their place.
  const kept = values.grep === undefined ? [] : (data.suites[suite]?.results ?? []);
  const merged = kept.map((old) => fresh.find((r) => r.title === old.title) ?? old);
  for (const r of fresh) if (!merged.includes(r)) merged.push(r);
  data.suites[suite] = { environment: env, date, results: merged };
}
writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
console.log(
  `\nWrote ${file}; refresh the README tables with: pnpm --filter @aiots/bench report --write`,
);
