/**
 * The child process behind `startRegistry`: Verdaccio with its storage in the directory
 * given as the first argument, no uplink (it serves only what is published to it), on
 * 127.0.0.1 at a port the system picks. It prints `{"port":N}` once listening and stops on
 * SIGTERM or when its parent's pipe closes.
 */
import { join } from 'node:path';
import { runServer } from 'verdaccio';

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: registry-server.ts STORAGE_DIR');
  process.exit(2);
}

const server = (await runServer({
  self_path: dir,
  storage: join(dir, 'storage'),
  auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
  uplinks: {},
  packages: {
    '**': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
  },
  // Large tarballs (a package with source maps) must not hit the default 10 MB limit.
  max_body_size: '100mb',
  log: { type: 'stdout', format: 'pretty', level: 'error' },
  web: { enable: false },
  // biome-ignore lint/suspicious/noExplicitAny: Verdaccio's config type wants every field.
} as any)) as import('node:http').Server;

function stop(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  console.log(JSON.stringify({ port: address.port }));
});
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
