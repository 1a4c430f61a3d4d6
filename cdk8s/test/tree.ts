// A chart folder the generator writes, compared with the committed one: same file list, same bytes.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "vitest";

export const listFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();

/** Asserts `committed` holds exactly the files of `fresh`, byte for byte; returns their paths. */
export function expectSameFiles(committed: string, fresh: string): string[] {
  const expected = listFiles(fresh);
  expect(listFiles(committed)).toEqual(expected);
  for (const file of expected) {
    expect(readFileSync(join(committed, file)).equals(readFileSync(join(fresh, file))), `${file} is stale`).toBe(true);
  }
  return expected;
}
