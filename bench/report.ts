/**
 * Prints the Markdown table of bench/results.json. With `--write`, also puts it between the
 * `<!-- bench:table:start -->` and `<!-- bench:table:end -->` markers of bench/README.md and
 * of the root README.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { markdownTable, type ResultsFile } from './harness.ts';

const START = '<!-- bench:table:start -->';
const END = '<!-- bench:table:end -->';

const here = fileURLToPath(new URL('.', import.meta.url));
const data = JSON.parse(readFileSync(`${here}results.json`, 'utf8')) as ResultsFile;
const suites = Object.keys(data.suites).sort((a, b) =>
  a === 'loop' ? -1 : b === 'loop' ? 1 : a.localeCompare(b),
);

const table = markdownTable(suites.flatMap((s) => data.suites[s]?.results ?? []));
const where = suites.map((s) => {
  const { environment: env, date } = data.suites[s] as ResultsFile['suites'][string];
  const load = (env.loadavg as number[] | undefined)?.[0];
  return `\`${s}\`: ${date.slice(0, 10)}, Node ${env.node}, ${env.cpu} x${env.cores}, load average ${load} at start`;
});
const block = `${table}\n\nMeasured with \`pnpm bench\` (medians of interleaved rounds, forced GC before each run). ${where.join('; ')}.`;

console.log(block);

if (process.argv.includes('--write')) {
  for (const file of [`${here}README.md`, `${here}../README.md`]) {
    const text = readFileSync(file, 'utf8');
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    if (a < 0 || b < a) {
      console.error(`${file}: no ${START} ... ${END} markers; left unchanged`);
      continue;
    }
    writeFileSync(file, `${text.slice(0, a + START.length)}\n${block}\n${text.slice(b)}`);
    console.error(`updated ${file}`);
  }
}
