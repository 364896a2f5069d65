/** What every `*.bench.js` module's `run()` returns to scripts/bench.js (see the comment there). */
export interface BenchResult {
  /** Must equal the file name without `.bench.js`. */
  id: string;
  title: string;
  /** The load or measurement command behind the numbers, for readers who want to repeat it by hand. */
  command: string;
  /** The section body (no heading): what was measured, the numbers, the verdict against the target. */
  markdown: string;
  /** Set when a tool is missing: the runner prints it and keeps any earlier section for this id. */
  skipped?: string;
  /** Set when the result is wrong (the section is written, the run fails). */
  failed?: string;
}

/** Where the simulator's compiled bench scripts live (this file's directory, at run time). */
export const BENCH_DIR = new URL('.', import.meta.url).pathname;
/** Source directory of the bench (for non-TypeScript helpers like pymodbus_server.py). */
export const BENCH_SRC_DIR = new URL('../../bench/', import.meta.url).pathname;
