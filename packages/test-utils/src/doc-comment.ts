/**
 * Reads TSDoc comments and Markdown as text: the summary, the block tags and the fenced code
 * blocks, each with the line it starts on so a failing example points back to its source.
 * The TypeScript compiler's own JSDoc parser is not used for this because it rewrites the
 * text of tags (inline `{@link}`, leading `@` in code) and loses the lines of code blocks.
 */

/** A fenced code block of a doc comment or a Markdown file. */
export interface CodeFence {
  /** The language of the info string, lower-cased: `ts`, `typescript`, `sh`, or `''`. */
  readonly lang: string;
  /** The words after the language in the info string, such as `no-run`. */
  readonly flags: readonly string[];
  /** The code between the fences, with the fence's indentation removed. */
  readonly code: string;
  /** 0-based line of the first code line, counted from the start of the parsed text. */
  readonly line: number;
}

/** A block tag of a doc comment, such as `@example` or `@internal`. */
export interface DocTag {
  /** The tag name without `@`. */
  readonly name: string;
  /** The tag's text, fences included, without the tag name. */
  readonly text: string;
  /** The fenced code blocks inside the tag's text. */
  readonly fences: readonly CodeFence[];
}

/** A parsed `/** … *\/` comment. */
export interface DocComment {
  /** The text before the first block tag, trimmed. */
  readonly summary: string;
  /** The block tags in source order. */
  readonly tags: readonly DocTag[];
}

const fenceOpen = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/;

/**
 * Finds the fenced code blocks of Markdown text.
 *
 * @param text Markdown, or the text of a doc comment with its `*` margin removed.
 * @param firstLine The line number to give the first line of `text`.
 * @returns The fences in order; an unclosed fence runs to the end of the text.
 * @example
 * ```ts
 * import { parseFences } from '@aiots/test-utils';
 * const [fence] = parseFences('Intro\n```ts no-run\nawait main();\n```');
 * console.log(fence?.lang, fence?.flags, fence?.line); // ts [ 'no-run' ] 2
 * ```
 */
export function parseFences(text: string, firstLine = 0): CodeFence[] {
  const lines = text.split('\n');
  const fences: CodeFence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fenceOpen.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', marker = '', lang = '', rest = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      const trimmed = line.trim();
      if (trimmed.startsWith(marker) && trimmed.replaceAll(marker[0] ?? '`', '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    fences.push({
      lang: lang.toLowerCase(),
      flags: rest.trim().split(/\s+/).filter(Boolean),
      code: body.join('\n'),
      line: firstLine + i + 1,
    });
    i = j;
  }
  return fences;
}

/**
 * Removes the comment delimiters and the ` * ` margin of a `/** … *\/` comment, keeping the
 * indentation of code inside it.
 *
 * @param raw The comment as it appears in the source, from `/**` to `*\/`.
 * @returns The comment's lines; line `n` of the result is line `n` of `raw`.
 * @example
 * ```ts
 * import { stripCommentMargin } from '@aiots/test-utils';
 * console.log(stripCommentMargin('/**\n * Hi.\n *   indented\n *\/')); // [ '', 'Hi.', '  indented', '' ]
 * ```
 */
export function stripCommentMargin(raw: string): string[] {
  const body = raw.replace(/^\s*\/\*\*/, '').replace(/\*\/\s*$/, '');
  return body.split('\n').map((line, i) => {
    if (i === 0) return line.trim();
    const margin = /^\s*\*(?!\/) ?/.exec(line);
    return margin ? line.slice(margin[0].length) : line.trim();
  });
}

/**
 * Parses a `/** … *\/` comment into its summary and block tags. A block tag starts at a line
 * that begins with `@name`, outside a code fence.
 *
 * @param raw The comment as it appears in the source.
 * @param firstLine The line number to give the comment's first line; fence lines count from it.
 * @returns The summary and the tags.
 * @example
 * ```ts
 * import { parseDocComment } from '@aiots/test-utils';
 * const doc = parseDocComment('/**\n * Adds.\n * @example\n * ```ts\n * add(1, 2);\n * ```\n *\/');
 * console.log(doc.summary, doc.tags[0]?.name, doc.tags[0]?.fences[0]?.code); // Adds. example add(1, 2);
 * ```
 */
export function parseDocComment(raw: string, firstLine = 0): DocComment {
  const lines = stripCommentMargin(raw);
  const sections: { name: string; start: number; lines: string[] }[] = [
    { name: '', start: 0, lines: [] },
  ];
  let fence: string | undefined;
  lines.forEach((line, i) => {
    const open = fenceOpen.exec(line);
    if (fence === undefined) {
      const tag = open ? null : /^\s*@(\w+)\b ?(.*)$/.exec(line);
      if (tag) {
        sections.push({ name: tag[1] ?? '', start: i, lines: [tag[2] ?? ''] });
        return;
      }
      if (open) fence = open[2];
    } else if (
      line.trim().startsWith(fence) &&
      line.trim().replaceAll(fence[0] ?? '`', '') === ''
    ) {
      fence = undefined;
    }
    sections.at(-1)?.lines.push(line);
  });
  const [summary, ...tags] = sections;
  return {
    summary: (summary?.lines.join('\n') ?? '').trim(),
    tags: tags.map((section) => {
      const text = section.lines.join('\n');
      return {
        name: section.name,
        text: text.trim(),
        fences: parseFences(text, firstLine + section.start),
      };
    }),
  };
}
