// A simulated serial device for the serial examples: socat joins two pseudo-terminals and
// links them at stable paths. The program opens one end; the "device" talks on the other.
// Killing socat unplugs the device; starting it again plugs it back in at the same paths.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubprocessExec, type Process } from '@aiots/streams';

export class SimulatedCable {
  readonly dir = mkdtempSync(join(tmpdir(), 'aiots-example-'));
  readonly port = join(this.dir, 'ttyPROGRAM');
  readonly device = join(this.dir, 'ttyDEVICE');
  #socat: Process | undefined;

  /** Plugs the cable in: resolves once both ends exist. */
  async plug(): Promise<void> {
    const socat = await createSubprocessExec(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.port}`, `pty,raw,echo=0,link=${this.device}`],
      { stderr: 'pipe' },
    );
    this.#socat = socat;
    for await (const line of socat.stderr ?? []) {
      if (line.includes('starting data transfer loop')) break;
    }
  }

  /** Unplugs it: both ends vanish. */
  async unplug(): Promise<void> {
    this.#socat?.kill();
    await this.#socat?.wait();
    this.#socat = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.unplug();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
