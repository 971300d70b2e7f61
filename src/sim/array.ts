/** Array helpers for the hot paths of the machine and the layers above it. */

/** Removes list[i] in place: splice(i, 1) without the array of removed elements it returns. */
export function removeAt<T>(list: T[], i: number): void {
  for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j] as T;
  list.pop();
}
