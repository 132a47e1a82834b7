/**
 * `@aiots/crawler`: Real Python's areq.py grown up, on `@aiots/http`: the `aiots-crawl`
 * command, and the crawl as a function.
 *
 * @module
 */
export { cli } from './cli-main.ts';
export { type CrawlOptions, crawl, type OnPage } from './crawl.ts';
export type { CrawlLogOptions } from './crawl-log.ts';
export {
  type Frontier,
  MemoryFrontier,
  MemorySeenSet,
  type SeenSet,
  type SharedFrontier,
} from './frontier.ts';
export { extractLinks } from './links.ts';
export { type CrawlSummary, formatSummary } from './summary.ts';
