// What every 9p request handler gets: the share, the fid table, the session's settings.

import type { Owner, QidMapper } from './attr.js';
import type { Reader } from './codec.js';
import { EROFS, P9Error } from './errno.js';
import type { FidTable } from './fids.js';
import type { Share } from './share.js';

export interface P9Context {
  share: Share;
  fids: FidTable;
  qids: QidMapper;
  owner: Owner;
  readOnly: boolean;
  /** Negotiated by Tversion; every reply fits in it. */
  msize: number;
  /** Mode bits a guest may set on host files (setuid/setgid are dropped when the host runs as root). */
  modeMask: number;
}

/** Handles one T-message whose header has been read; returns the finished R-message. */
export type Handler = (ctx: P9Context, r: Reader, tag: number) => Promise<Uint8Array>;

/** Every write-type operation starts here. */
export function assertWritable(ctx: P9Context): void {
  if (ctx.readOnly) throw new P9Error(EROFS, 'the share is read-only');
}
