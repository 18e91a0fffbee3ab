// Read position of a followed log, shared by the log followers (which emit it) and the store (which keeps it).

/**
 * Where reading a log source stopped, saved in the same transaction as the counts of the lines before it, so a
 * restart (or a crash) resumes exactly after the last committed line: nothing lost, nothing counted twice.
 */
export interface LogOffset {
  /** The source: a file path, 'journal', or 'syslog:<url>'. */
  source: string;
  /** What the position refers to: "dev:inode" of a file (rotation gives a new one), or 'journal' for cursors. */
  identity: string;
  /** Byte offset after the last committed line (decimal text), or the journald cursor of the last committed entry. */
  position: string;
  /** Lines consumed from this identity so far (the next line's number is line + 1). */
  line: number;
}
