/**
 * Every public package of the workspace, packed as `pnpm publish` packs it, is fit to
 * publish (see package-checks.ts). The packages come from pnpm, so a new one is checked by
 * existing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackedPackage } from '../src/package-checks.ts';
import { packPackage, readTarball } from '../src/tarball.ts';
import { workspacePackages } from '../src/workspace.ts';

const all = await workspacePackages();
const workspace = new Map(all.map((p) => [p.name, { version: p.version, private: p.private }]));
const publics = all.filter((p) => !p.private);
const outDir = mkdtempSync(join(tmpdir(), 'aiots-pack-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the packed tarball of every public package', () => {
  it('covers the packages pnpm lists as public', () => {
    expect(publics.map((p) => p.name)).toContain('@aiots/loop');
  });

  for (const pkg of publics) {
    it(`${pkg.name} ships what it should and nothing else`, async () => {
      const packed = await readTarball(await packPackage(pkg.dir, outDir));
      const problems = checkPackedPackage(packed, {
        relDir: pkg.relDir,
        workspace,
        sourceExports: pkg.manifest.exports,
      });
      expect(problems).toEqual([]);
    }, 60_000);
  }
});
