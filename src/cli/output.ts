/**
 * Output files (--html, --trace): every path is checked before anything is
 * explored, so a bad path costs the user one line and not the exploration.
 * The writers (report/) write atomically: a temporary file in the same
 * directory, then a rename, so a reader never sees half a file. A symbolic
 * link is never replaced (the rename would replace the link, not its target):
 * it is refused with a word.
 */
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../scenarios/index.js';

/** Checks one output path; throws a UsageError that names the option and says what is wrong. */
export function checkOutputPath(option: string, file: string): void {
  if (file === '') throw new UsageError(`${option}: empty file name`);
  const abs = resolve(file);
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      throw new UsageError(`${option} ${file}: cannot write there (${code ?? 'error'})`);
  }
  if (st) {
    if (st.isSymbolicLink())
      throw new UsageError(
        `${option} ${file} is a symbolic link: not replacing it (give the path of its target, or remove the link)`,
      );
    if (st.isDirectory()) throw new UsageError(`${option} ${file} is a directory`);
    if (!st.isFile()) throw new UsageError(`${option} ${file} is not a regular file`);
  }
  const dir = dirname(abs);
  let ds: ReturnType<typeof statSync>;
  try {
    ds = statSync(dir);
  } catch {
    throw new UsageError(`${option} ${file}: directory ${dir} does not exist`);
  }
  if (!ds.isDirectory()) throw new UsageError(`${option} ${file}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${option} ${file}: directory ${dir} is not writable`);
  }
}

/** Checks every given output path (and that no two name the same file). */
export function checkOutputPaths(paths: Readonly<Record<string, string | undefined>>): void {
  const seen = new Map<string, string>();
  for (const [option, file] of Object.entries(paths)) {
    if (file === undefined) continue;
    checkOutputPath(option, file);
    const abs = resolve(file);
    const other = seen.get(abs);
    if (other !== undefined) throw new UsageError(`${other} and ${option} name the same file ${file}`);
    seen.set(abs, option);
  }
}

/** Runs a writer; an I/O error (the directory went away meanwhile) is one line, not a stack. */
export async function writing<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string')
      throw new UsageError(`cannot write ${what}: ${code} (${(e as Error).message.split('\n')[0]})`);
    throw e;
  }
}
