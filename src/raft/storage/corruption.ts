/**
 * StorageCorruptionError: acknowledged data in the meta dir is damaged in a way a crash cannot
 * explain, so the store refuses to open rather than guess (docs/operations.md, "A damaged meta
 * dir"). The message names the file, where it is damaged and what is affected; the daemon adds
 * the recovery procedure. A torn write that a crash can explain is repaired instead, with a
 * warning.
 */
export class StorageCorruptionError extends Error {
  constructor(
    message: string,
    /** The damaged file or directory. */
    readonly path: string,
  ) {
    super(message);
    this.name = "StorageCorruptionError";
  }
}
