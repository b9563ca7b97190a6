// 9P2000.L session messages: Tauth (refused), Tattach, Twalk, Tclunk.
// Reference: 9P2000 attach(5), walk(5), clunk(5); Linux net/9p/client.c p9_client_walk.

import { Writer, emptyReply } from './codec.js';
import type { Handler } from './context.js';
import { ENOTDIR, EINVAL, EOPNOTSUPP, EPERM, P9Error } from './errno.js';
import { Fid } from './fids.js';
import { MAXWELEM, Msg, QTDIR } from './protocol.js';
import { checkName, isDot, isDotDot, type Name } from './share.js';

export const auth: Handler = async () => {
  throw new P9Error(EOPNOTSUPP, 'no authentication on this server');
};

export const attach: Handler = async (ctx, r, tag) => {
  const fidNo = r.u32();
  r.u32(); // afid: no auth fids exist
  r.str(); // uname
  r.str(); // aname: there is one tree per server
  r.u32(); // n_uname
  ctx.fids.checkFree(fidNo);
  const st = await ctx.share.lstat([]);
  const qid = ctx.qids.qid(st);
  ctx.fids.set(fidNo, new Fid([], qid.type));
  return new Writer(32).qid(qid).finish(Msg.Rattach, tag);
};

/**
 * Each name is looked up inside the directory reached so far, never through a symlink. `..` moves
 * up inside the share and is refused at its root; `.` stays put. A failure at the first name is an
 * error; a later one returns the qids walked so far and leaves newfid unbound (walk(5)).
 */
export const walk: Handler = async (ctx, r, tag) => {
  const fidNo = r.u32();
  const newNo = r.u32();
  const count = r.u16();
  if (count > MAXWELEM) throw new P9Error(EINVAL, `walk of ${count} names (at most ${MAXWELEM})`);
  const names: Uint8Array[] = [];
  for (let i = 0; i < count; i++) names.push(r.str());
  const fid = ctx.fids.get(fidNo);
  if (newNo !== fidNo) ctx.fids.checkFree(newNo);

  const rel: Name[] = [...fid.rel];
  let type = fid.qidType;
  const w = new Writer(9 + 13 * count);
  w.u16(0);
  let walked = 0;
  for (const raw of names) {
    try {
      if (type !== QTDIR) throw new P9Error(ENOTDIR, 'walk from a non-directory');
      if (isDotDot(raw)) {
        if (rel.length === 0) throw new P9Error(EPERM, '".." at the root of the share');
        rel.pop();
      } else if (!isDot(raw)) {
        rel.push(checkName(raw));
      }
      const qid = ctx.qids.qid(await ctx.share.lstat(rel));
      w.qid(qid);
      type = qid.type;
      walked++;
    } catch (err) {
      if (walked === 0) throw err;
      break;
    }
  }
  if (walked === count) {
    if (newNo === fidNo) {
      fid.rel = rel;
      fid.qidType = type;
    } else {
      ctx.fids.set(newNo, new Fid(rel, type));
    }
  }
  const out = w.finish(Msg.Rwalk, tag);
  new DataView(out.buffer, out.byteOffset).setUint16(7, walked, true);
  return out;
};

export const clunk: Handler = async (ctx, r, tag) => {
  await ctx.fids.clunk(r.u32());
  return emptyReply(Msg.Rclunk, tag);
};
