// A one-line progress bar for long copies (box downloads) on stderr, redrawn at most 10 times a
// second. Only on a terminal: piped output gets no bar, so logs and scripts stay clean.
import { paint } from './color.js';

const MIB = 1024 * 1024;
const fmt = (bytes: number): string => (bytes >= 100 * MIB ? `${(bytes / MIB).toFixed(0)} MiB` : `${(bytes / MIB).toFixed(1)} MiB`);

export interface ProgressBar {
  update(done: number, total?: number): void;
  /** Clears the line (the caller prints the outcome). */
  stop(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, total?: number): void => {
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0.2 ? `  ${fmt(done / secs)}/s` : '';
    const cols = Math.max(40, stream.columns ?? 80);
    let line: string;
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, done / total);
      const tail = ` ${String(Math.floor(frac * 100)).padStart(3)}%  ${fmt(done)} / ${fmt(total)}${rate}`;
      const width = Math.max(10, Math.min(40, cols - label.length - tail.length - 4));
      const full = Math.round(frac * width);
      line = `${label} [${paint.cyan('#'.repeat(full))}${'.'.repeat(width - full)}]${tail}`;
    } else {
      line = `${label}  ${fmt(done)}${rate}`;
    }
    stream.write(`\r${line}\u001b[K`);
    drawn = true;
  };
  return {
    update(done, total) {
      const now = performance.now();
      if (now - last < 100 && !(total !== undefined && done >= total)) return;
      last = now;
      draw(done, total);
    },
    stop() {
      if (drawn) stream.write('\r\u001b[K');
    },
  };
}
