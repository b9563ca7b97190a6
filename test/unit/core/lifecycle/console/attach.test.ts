// Escapes on typed console input: ssh-style `~` (vm ssh) and Ctrl-A (vm debug boot).
import { describe, expect, it } from 'vitest';
import { EscapeParser, type EscapeAction } from '../../../../../src/core/lifecycle/console/attach.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const show = (actions: EscapeAction[]): (string | { kind: string })[] =>
  actions.map((a) => (a.kind === 'send' ? new TextDecoder().decode(a.bytes) : { kind: a.kind }));

describe('EscapeParser', () => {
  it('detaches on ~. at the start of the input and after Enter', () => {
    expect(show(new EscapeParser().feed(enc('~.')))).toEqual([{ kind: 'detach' }]);
    expect(show(new EscapeParser().feed(enc('ls\r~.ignored')))).toEqual(['ls\r', { kind: 'detach' }]);
    expect(show(new EscapeParser().feed(enc('ls\n~.')))).toEqual(['ls\n', { kind: 'detach' }]);
  });

  it('passes ~ through in the middle of a line', () => {
    expect(show(new EscapeParser().feed(enc('cd ~.; ls ~/x')))).toEqual(['cd ~.; ls ~/x']);
  });

  it('~~ sends one ~, ~? asks for help, ~ and another key sends both', () => {
    expect(show(new EscapeParser().feed(enc('~~.')))).toEqual(['~.']);
    expect(show(new EscapeParser().feed(enc('~?')))).toEqual([{ kind: 'help' }]);
    expect(show(new EscapeParser().feed(enc('~x')))).toEqual(['~x']);
  });

  it('an escape split across reads still works', () => {
    const p = new EscapeParser();
    expect(show(p.feed(enc('echo\r~')))).toEqual(['echo\r']);
    expect(show(p.feed(enc('.')))).toEqual([{ kind: 'detach' }]);
  });
});

describe('EscapeParser, Ctrl-A style (vm debug boot)', () => {
  const ctrlA = (s: string): string => s.replaceAll('^A', '\x01');

  it('quits on Ctrl-A X (either case), anywhere in a line, dropping what follows', () => {
    expect(show(new EscapeParser('ctrl-a').feed(enc(ctrlA('^Ax'))))).toEqual([{ kind: 'detach' }]);
    expect(show(new EscapeParser('ctrl-a').feed(enc(ctrlA('ls^AXignored'))))).toEqual(['ls', { kind: 'detach' }]);
  });

  it('Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A H asks for help, another key after Ctrl-A is dropped', () => {
    expect(show(new EscapeParser('ctrl-a').feed(enc(ctrlA('a^A^Ab'))))).toEqual([ctrlA('a^Ab')]);
    expect(show(new EscapeParser('ctrl-a').feed(enc(ctrlA('^Ah'))))).toEqual([{ kind: 'help' }]);
    expect(show(new EscapeParser('ctrl-a').feed(enc(ctrlA('a^Azb'))))).toEqual(['ab']);
  });

  it('leaves ~ alone, and an escape split across reads still works', () => {
    expect(show(new EscapeParser('ctrl-a').feed(enc('~.')))).toEqual(['~.']);
    const p = new EscapeParser('ctrl-a');
    expect(show(p.feed(enc(ctrlA('echo^A'))))).toEqual(['echo']);
    expect(show(p.feed(enc('x')))).toEqual([{ kind: 'detach' }]);
  });
});
