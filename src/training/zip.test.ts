// The checkpoint archive: what writeZip stores, readZip gives back; damage is reported, not hidden.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, readZip, writeZip } from './zip';

const files = {
  'config.json': new TextEncoder().encode('{"a": 1}'),
  'model.safetensors': Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255),
  'empty.txt': new Uint8Array(0),
};

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('zip', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips files under a folder', async () => {
    const archive = writeZip(files, 'nano-step-10');
    const read = await readZip(archive);
    expect([...read.keys()]).toEqual(Object.keys(files).map((f) => `nano-step-10/${f}`));
    for (const [name, data] of Object.entries(files)) expect(read.get(`nano-step-10/${name}`)).toEqual(data);
  });

  it('reports a truncated or corrupted archive', async () => {
    const archive = writeZip(files, 'x');
    await expect(readZip(archive.slice(0, 100), 'x.zip')).rejects.toThrow('x.zip is not a zip archive');
    const flipped = archive.slice();
    flipped[30 + 'x/config.json'.length] ^= 1; // first byte of config.json's data
    await expect(readZip(flipped, 'x.zip')).rejects.toThrow('x.zip: x/config.json fails its CRC-32 check');
  });

  it.skipIf(!hasTool('unzip') || !hasTool('zip'))(
    'is read by unzip, and reads zip’s deflated archives',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'logitlab-zip-'));
      try {
        writeFileSync(join(dir, 'a.zip'), writeZip(files, 'folder'));
        execFileSync('unzip', ['-q', 'a.zip'], { cwd: dir });
        expect(new Uint8Array(readFileSync(join(dir, 'folder/model.safetensors')))).toEqual(
          files['model.safetensors'],
        );
        execFileSync('zip', ['-q', '-r', 'b.zip', 'folder'], { cwd: dir });
        const read = await readZip(new Uint8Array(readFileSync(join(dir, 'b.zip'))));
        expect(read.get('folder/model.safetensors')).toEqual(files['model.safetensors']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
