/**
 * robots.txt, one fetch per origin, rules parsed by `robots-parser`, with RFC 9309's answers
 * for the cases without rules: a 4xx ("unavailable") allows everything, a 5xx
 * ("unreachable") disallows everything, and a host that cannot be reached at all is left to
 * the page's own request, which then fails with its own error.
 */
import { createRequire } from 'node:module';
import { Event } from '@aiots/sync';

/** What robots-parser gives for a robots.txt (its own types declare a default export it lacks). */
interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
}

const robotsParser = createRequire(import.meta.url)('robots-parser') as (
  url: string,
  contents: string,
) => Robot;

/** What fetching `/robots.txt` gave: a status and its text, or no answer at all. */
export type RobotsAnswer = { readonly status: number; readonly text: string } | 'unreachable';

/** How the robots.txt of an origin is fetched (through the crawl's session and politeness). */
export type RobotsFetcher = (robotsUrl: string) => Promise<RobotsAnswer>;

type Rules = { readonly all: boolean } | { readonly robot: Robot };

interface Entry {
  readonly ready: Event;
  rules: Rules | undefined;
}

/** Origins whose rules are kept; past it the oldest are dropped (and fetched again if needed). */
const MAX_ORIGINS = 10_000;

/** The robots.txt rules of the origins a crawl visits, each fetched once. */
export class RobotsCache {
  readonly #fetch: RobotsFetcher;
  readonly #agent: string;
  readonly #entries = new Map<string, Entry>();

  /**
   * @param fetch Fetches a robots.txt.
   * @param userAgent The crawler's User-Agent; its product token (before `/`) picks the group.
   */
  constructor(fetch: RobotsFetcher, userAgent: string) {
    this.#fetch = fetch;
    this.#agent = userAgent.split(/[/\s]/)[0] || '*';
  }

  /** True when robots.txt lets the crawler fetch `url`; fetches the rules on first use. */
  async allowed(url: URL): Promise<boolean> {
    const rules = await this.#rules(url.origin);
    if ('all' in rules) return rules.all;
    return rules.robot.isAllowed(url.href, this.#agent) !== false;
  }

  async #rules(origin: string): Promise<Rules> {
    for (;;) {
      const entry = this.#entries.get(origin);
      if (entry === undefined) return this.#load(origin);
      await entry.ready.wait();
      if (entry.rules !== undefined) return entry.rules;
      // The task that was fetching them was cancelled: the next one in line fetches.
    }
  }

  async #load(origin: string): Promise<Rules> {
    const entry: Entry = { ready: new Event(), rules: undefined };
    this.#entries.set(origin, entry);
    if (this.#entries.size > MAX_ORIGINS) this.#evict();
    try {
      const robotsUrl = `${origin}/robots.txt`;
      const answer = await this.#fetch(robotsUrl);
      entry.rules = toRules(robotsUrl, answer);
      return entry.rules;
    } finally {
      if (entry.rules === undefined) this.#entries.delete(origin);
      entry.ready.set();
    }
  }

  #evict(): void {
    for (const [origin, e] of this.#entries) {
      if (e.rules === undefined) continue;
      this.#entries.delete(origin);
      if (this.#entries.size <= MAX_ORIGINS) return;
    }
  }
}

function toRules(robotsUrl: string, answer: RobotsAnswer): Rules {
  // No answer at all: the page's own request will fail (or succeed) and say so.
  if (answer === 'unreachable') return { all: true };
  const { status, text } = answer;
  if (status >= 500) return { all: false };
  if (status >= 400) return { all: true };
  if (status >= 300) return { all: true }; // a redirect that was not followed to the end
  return { robot: robotsParser(robotsUrl, text) };
}
