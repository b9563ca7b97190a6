// Terminal colours that honour NO_COLOR (https://no-color.org) and non-TTY output.
const enabled = (): boolean =>
  process.env.NO_COLOR === undefined && process.env.FORCE_COLOR !== '0' && (process.stdout.isTTY === true || process.env.FORCE_COLOR !== undefined);

const wrap = (open: number, close: number) => (s: string) => (enabled() ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export const paint = {
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
};
