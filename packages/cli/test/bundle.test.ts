import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentBundle } from '../bin/bundle.js';

let dir: string;
let target: { entry: string; outfile: string };

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jangar-cli-bundle-'));
  target = { entry: path.join(dir, 'src', 'main.ts'), outfile: path.join(dir, 'dist', 'cli.mjs') };
  await mkdir(path.join(dir, 'src'));
  await writeFile(target.entry, "import { word } from './word.ts';\nexport const main = (): string => word;\n");
  await writeFile(path.join(dir, 'src', 'word.ts'), "export const word: string = 'first';\n");
  // Saved well before any build: one saved in the very millisecond a build begins counts as saved
  // during it (a file's time has a finer grain than the build's), and the bundle is rebuilt.
  const before = new Date(Date.now() - 60_000);
  for (const file of [target.entry, path.join(dir, 'src', 'word.ts')]) await utimes(file, before, before);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the bundle's `main` returns; the query makes node load the file again, not its cached module. */
async function run(url: string | undefined): Promise<string> {
  const { main } = (await import(`${url}?at=${Date.now()}-${Math.random()}`)) as { main: () => string };
  return main();
}

const builtFrom = async (): Promise<number> =>
  (JSON.parse(await readFile(`${target.outfile}.inputs.json`, 'utf8')) as { builtFrom: number }).builtFrom;

describe("the CLI's bundle", () => {
  it('builds the bundle when there is none, and lists every source it was built from', async () => {
    const url = await currentBundle(target);
    expect(await run(url)).toBe('first');
    const manifest = JSON.parse(await readFile(`${target.outfile}.inputs.json`, 'utf8')) as { inputs: string[] };
    expect(manifest.inputs.sort()).toEqual([target.entry, path.join(dir, 'src', 'word.ts')].sort());
  });

  it('runs the same bundle again while none of its sources changed', async () => {
    await currentBundle(target);
    const first = await builtFrom();
    expect(await run(await currentBundle(target))).toBe('first');
    expect(await builtFrom()).toBe(first);
  });

  it('rebuilds the bundle once a source it was built from changed', async () => {
    await currentBundle(target);
    const first = await builtFrom();
    const word = path.join(dir, 'src', 'word.ts');
    await writeFile(word, "export const word: string = 'second';\n");
    // However coarse the file system's clock, the change is later than the build's start.
    await utimes(word, new Date(first + 1000), new Date(first + 1000));
    expect(await run(await currentBundle(target))).toBe('second');
    expect(await builtFrom()).toBeGreaterThan(first);
  });

  it('answers undefined where no bundle can be written, so the bin runs the sources', async () => {
    await writeFile(path.join(dir, 'dist'), 'a file where the bundle directory would go');
    expect(await currentBundle(target)).toBeUndefined();
  });
});
