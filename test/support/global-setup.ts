// Vitest global setup: tests that spawn the CLI or an engine process run the compiled dist/, so
// build it once (only when a source is newer than its output) before any test file starts.
import { ensureDist } from './dist.js';

export default function setup(): void {
  ensureDist();
}
