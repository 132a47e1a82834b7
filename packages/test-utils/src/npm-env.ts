/**
 * The environment for running `npm install` as a user would: the PATH without the
 * workspace's `node_modules` entries. pnpm puts the workspace's Node.js 24 first on a
 * script's PATH; npm run on that Node.js looks for its global configuration next to it
 * (`<prefix>/etc/npmrc`) instead of beside the user's own Node.js, and so misses settings
 * the machine's npm has there, such as the certificate authority of a proxy.
 */
import { delimiter } from 'node:path';

/**
 * `env` with `node_modules` directories taken off its PATH.
 *
 * @param env The environment to start from (default `process.env`).
 * @returns A copy for `execFileSync('npm', ['install', ...], { env })`.
 * @example
 * ```ts no-run
 * execFileSync('npm', ['install', tarball], { cwd: project, env: npmInstallEnv() });
 * ```
 */
export function npmInstallEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const path = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.split(/[\\/]/).includes('node_modules'));
  const out: NodeJS.ProcessEnv = { ...env, PATH: path.join(delimiter) };
  delete out.NODE_OPTIONS;
  return out;
}
