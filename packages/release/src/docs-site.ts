/**
 * Where the API reference lives: TypeDoc writes it to `docs/api/` (`pnpm docs`), and the
 * site serves that folder at `apiDocsBaseUrl`. Package READMEs link there with absolute
 * URLs, since npm shows a README away from the repository.
 */
import type { Manifest } from './workspace.ts';

/** The published address of `docs/api/`. */
export const apiDocsBaseUrl = 'https://aiots.github.io/aiots/api/';

/** The folder, relative to the workspace root, that `pnpm docs` writes. */
export const apiDocsDir = 'docs/api';

/**
 * The module name TypeDoc gives an `exports` entry: the import specifier.
 *
 * @param packageName `@aiots/loop`.
 * @param entry `.` or `./lowlevel`.
 * @returns `@aiots/loop` or `@aiots/loop/lowlevel`.
 */
export function moduleName(packageName: string, entry: string): string {
  return entry === '.' ? packageName : `${packageName}/${entry.replace(/^\.\//, '')}`;
}

/**
 * The page of a module in the generated site, relative to `docs/api/`, as TypeDoc's default
 * router names it (`modules/` + the name with every run of characters other than letters,
 * digits and `-` turned into `_`).
 *
 * @param name A module name, `@aiots/loop/lowlevel`.
 * @returns `modules/_aiots_loop_lowlevel.html`.
 */
export function modulePage(name: string): string {
  return `modules/${name.replace(/[^\w-]+/g, '_')}.html`;
}

/**
 * The absolute URL of a package's API reference page (its main entry), for its README.
 *
 * @param manifest The package's package.json.
 * @returns `https://aiots.github.io/aiots/api/modules/_aiots_sync.html`.
 */
export function apiDocsUrl(manifest: Pick<Manifest, 'name'>): string {
  return `${apiDocsBaseUrl}${modulePage(moduleName(manifest.name, '.'))}`;
}
