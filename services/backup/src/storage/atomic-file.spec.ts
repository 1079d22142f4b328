import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARCHIVE_DIR, TEMP_SUFFIX, contentArchiveName, readIfExists, writeAtomically } from './atomic-file.js';

let dir: string;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'lnfleet-atomic-')), 'target');
});

afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = async (path: string): Promise<string> => (await readFile(path)).toString('utf8');
const hash16 = (value: string): string => createHash('sha256').update(value).digest('hex').slice(0, 16);

describe('writeAtomically', () => {
  it('creates the directory and writes the file, readable by the owner only, leaving no temp file', async () => {
    const result = await writeAtomically(dir, 'x.backup', bytes('first'));
    expect(result).toEqual({ path: join(dir, 'x.backup'), archivedAs: null });
    expect(await text(join(dir, 'x.backup'))).toBe('first');
    expect((await stat(join(dir, 'x.backup'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['x.backup']);
  });

  it('archives the previous file under its content hash, then replaces it', async () => {
    await writeAtomically(dir, 'x.backup', bytes('first'));
    const result = await writeAtomically(dir, 'x.backup', bytes('second'));
    const archived = join(dir, ARCHIVE_DIR, `x.backup.${hash16('first')}`);
    expect(result.archivedAs).toBe(archived);
    expect(await text(join(dir, 'x.backup'))).toBe('second');
    expect(await text(archived)).toBe('first');
    expect((await readdir(join(dir, ARCHIVE_DIR))).sort()).toEqual([`x.backup.${hash16('first')}`]);
  });

  it('archives the same content under the same name, so repeating a write adds no archive', async () => {
    await writeAtomically(dir, 'x.backup', bytes('same'));
    await writeAtomically(dir, 'x.backup', bytes('same'));
    await writeAtomically(dir, 'x.backup', bytes('same'));
    expect(await readdir(join(dir, ARCHIVE_DIR))).toEqual([`x.backup.${hash16('same')}`]);
  });

  it('removes a stale temp file left by a crash before writing', async () => {
    await writeAtomically(dir, 'x.backup', bytes('first'));
    await writeFile(join(dir, `x.backup${TEMP_SUFFIX}`), 'half a wri');
    await writeAtomically(dir, 'x.backup', bytes('second'));
    expect(await text(join(dir, 'x.backup'))).toBe('second');
    expect(await readdir(dir)).not.toContain(`x.backup${TEMP_SUFFIX}`);
  });

  it('replaces a stale archive temp file and an archive of the same name', async () => {
    await writeAtomically(dir, 'x.backup', bytes('v1'));
    const archiveName = (): string => `${ARCHIVE_DIR}/x.backup.previous`;
    await writeAtomically(dir, 'x.backup', bytes('v2'), { archiveName });
    await writeFile(join(dir, ARCHIVE_DIR, `x.backup.previous${TEMP_SUFFIX}`), 'stale');
    await writeAtomically(dir, 'x.backup', bytes('v3'), { archiveName });
    expect(await text(join(dir, ARCHIVE_DIR, 'x.backup.previous'))).toBe('v2');
    expect(await readdir(join(dir, ARCHIVE_DIR))).toEqual(['x.backup.previous']);
  });

  it('keeps no archive when asked not to', async () => {
    await writeAtomically(dir, 'x.backup', bytes('first'), { archiveName: null });
    const result = await writeAtomically(dir, 'x.backup', bytes('second'), { archiveName: null });
    expect(result.archivedAs).toBeNull();
    expect(await readdir(dir)).toEqual(['x.backup']);
  });

  it('names archives as the caller says, e.g. by version', async () => {
    await writeAtomically(dir, 'x.backup', bytes('version 1'));
    const result = await writeAtomically(dir, 'x.backup', bytes('version 2'), {
      archiveName: (previous) => `${ARCHIVE_DIR}/x.backup.v${new TextDecoder().decode(previous).slice(8)}`,
    });
    expect(result.archivedAs).toBe(join(dir, ARCHIVE_DIR, 'x.backup.v1'));
    expect(await text(join(dir, ARCHIVE_DIR, 'x.backup.v1'))).toBe('version 1');
  });

  it.each(['../outside', '/etc/passwd', '.', 'x.backup', `x.backup${TEMP_SUFFIX}`])(
    'refuses the archive name %p, keeping the current file',
    async (name) => {
      await writeAtomically(dir, 'x.backup', bytes('first'));
      await expect(writeAtomically(dir, 'x.backup', bytes('second'), { archiveName: () => name })).rejects.toThrow(RangeError);
      expect(await text(join(dir, 'x.backup'))).toBe('first');
    },
  );

  it.each(['', '.', '..', 'a/b'])('refuses the file name %p', async (name) => {
    await expect(writeAtomically(dir, name, bytes('x'))).rejects.toThrow(RangeError);
  });

  it('offers the default archive naming on its own', () => {
    expect(contentArchiveName('x.backup')(bytes('first'))).toBe(`${ARCHIVE_DIR}/x.backup.${hash16('first')}`);
  });
});

describe('readIfExists', () => {
  it('returns null for a missing file and the bytes of a present one', async () => {
    expect(await readIfExists(join(dir, 'missing'))).toBeNull();
    await writeAtomically(dir, 'present', bytes('here'));
    expect(new TextDecoder().decode((await readIfExists(join(dir, 'present'))) ?? new Uint8Array())).toBe('here');
  });

  it('passes on other errors', async () => {
    await writeAtomically(dir, 'present', bytes('here'));
    await expect(readIfExists(dir)).rejects.toThrow(/EISDIR/);
  });
});
