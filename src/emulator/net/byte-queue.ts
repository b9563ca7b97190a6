// A FIFO of bytes kept as the chunks they arrived in: TCP send buffers append host data and drop
// acknowledged bytes from the front without copying everything on each step.

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already consumed. */
  private headOffset = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** A copy of `length` bytes starting `offset` bytes from the front (clamped to what is queued). */
  peek(offset: number, length: number): Uint8Array {
    const end = Math.min(this.total, offset + length);
    const out = new Uint8Array(Math.max(0, end - offset));
    let pos = -this.headOffset; // queue offset of the current chunk's first byte
    let written = 0;
    for (const chunk of this.chunks) {
      const chunkEnd = pos + chunk.length;
      if (chunkEnd > offset && pos < end) {
        const from = Math.max(offset, pos) - pos;
        const to = Math.min(end, chunkEnd) - pos;
        out.set(chunk.subarray(from, to), written);
        written += to - from;
      }
      if (chunkEnd >= end) break;
      pos = chunkEnd;
    }
    return out;
  }

  /** Removes up to `n` bytes from the front. */
  drop(n: number): void {
    n = Math.min(n, this.total);
    this.total -= n;
    while (n > 0) {
      const head = this.chunks[0]!;
      const left = head.length - this.headOffset;
      if (n < left) {
        this.headOffset += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }

  clear(): void {
    this.chunks = [];
    this.headOffset = 0;
    this.total = 0;
  }
}
