// The interpreter's hot loop: fetch, decode and execute RV64IMAFDC (unprivileged spec 20191213,
// chapters 2, 5, 7, 8, 16; privileged v1.12 for traps and interrupts).
//
// This file is long and flat on purpose: V8 keeps pc, the counters and the TLB arrays in registers
// only while everything stays in one function. Cold work (CSRs, SYSTEM, atomics, TLB misses, MMIO,
// traps) lives in small helpers; they never throw, they record a trap in the hart and the loop takes
// it at ONE place below. Interrupts, exit requests and the budget are checked at one service point,
// reached every instruction only through a single compare (`spent >= limit`); anything that may have
// changed interrupt state (CSR writes, xRET, MMIO, SBI calls) forces it by setting limit = 0.
// After each control transfer the loop may hand over to a translated region (jit/: WebAssembly made
// from entry points that got hot; h.jit.threshold = 0 keeps everything interpreted).

import type { Hart } from './hart.js';
import { EXPANDED, expanded } from './compressed.js';
import { TLB_MASK } from './mmu/tlb.js';
import { fetchSlow, loadSlow, storeSlow } from './mmu/access.js';
import { raise } from './mmu/sv39.js';
import { pendingInterrupt, takeTrap } from './trap.js';
import { systemInstruction, SYS_JUMP, SYS_TRAP } from './system.js';
import { amoInstruction } from './amo.js';
import { div64, divu64, divw, mul64, mulh64, mulhsu64, mulhu64, rem64, remu64 } from './muldiv.js';
import { executeFp } from './fpu/index.js';
import { CAUSE_ILLEGAL_INSTRUCTION, MSTATUS_FS } from './csr-numbers.js';
import { pcHi, pcLo, WILD_PC } from './pc.js';
import { JIT_BITS } from './jit/cache.js';
import { dispatcherFor, translatePending } from './jit/translate.js';
import { EXIT_INTERPRET, EXIT_JUMP, EXIT_TRAP } from './jit/region.js';
import { HS_EXIT_CHAINED, HS_EXIT_CODE, HS_EXIT_DONE } from './hart-state.js';

const TWO32 = 4294967296;
/** Where writes to x0 go (x[64], x[65]): x[0] and x[1] are never written, so x0 always reads 0. */
const X0_SINK = 64;
const JIT_SHIFT = 32 - JIT_BITS;
const EXIT_CODE_WORD = HS_EXIT_CODE >> 2;
const EXIT_DONE_WORD = HS_EXIT_DONE >> 2;
const EXIT_CHAINED_WORD = HS_EXIT_CHAINED >> 2;

export function runLoop(h: Hart, budget: number): number {
  const x = h.x;
  const view = h.ram.view;
  const tlb = h.tlb;
  const fTag = tlb.fetchTag;
  const fOffs = tlb.fetchOff;
  const lTag = tlb.loadTag;
  const lOffs = tlb.loadOff;
  const sTag = tlb.storeTag;
  const sOffs = tlb.storeOff;
  const fRaw = h.fpu.fRaw;

  let pc = h.pc;
  let dctx = h.dataCtx;
  // The page the last fetch came from: virtual base (NaN = none) and its offset in RAM.
  let fBase = NaN;
  let fOff = 0;
  let spent = 0;
  let traps = 0;
  let limit = 0;
  let startInstret = h.instretCount;
  h.exitRequested = false;
  const jit = h.jit;
  const jitOn = jit.threshold > 0;
  const jTagOff = jit.tagOff;
  const jTagPc = jit.tagPc;
  const jEntry = jit.entry;
  const dispatch = jitOn ? dispatcherFor(h) : null!;
  const jHot = jit.hot;
  const jChecked = jit.checked;
  const ramWords = h.ram.words;
  const jstats = jit.stats;
  const hs = h.hs;
  // Set after a control transfer: the next pc may start a translated region.
  let jumped = jitOn;
  // Set when translated code left an instruction to the interpreter: look up again after it.
  let lookupAfter = false;
  // The untranslated entry point the interpreter is running from (its home slot, RAM offset and pc)
  // and `spent` after its first instruction; credited at the next lookup.
  let heatHome = -1;
  let heatRo = 0;
  let heatPc = 0;
  let heatFrom = 0;

  for (;;) {
    if (spent >= limit) {
      // Service point: exit requests, budget, interrupts.
      if (h.exitRequested || h.stopped || h.waiting || spent >= budget) break;
      const irq = pendingInterrupt(h);
      if (irq >= 0) {
        h.pc = pc;
        takeTrap(h, irq, true, 0, 0);
        pc = h.pc;
        dctx = h.dataCtx;
        fBase = NaN;
        jumped = jitOn;
      }
      limit = budget;
    }
    // ---- fetch: the page of the last fetch, else a fetch-TLB hit, else the slow path (walk, MMIO)
    let fo = pc - fBase;
    if (!(fo >= 0 && fo <= 4092)) {
      const plo = pc === WILD_PC ? pcLo(h, pc) : pc | 0;
      const phi = pc === WILD_PC ? pcHi(h, pc) : Math.floor(pc / TWO32) | 0;
      const ti = (plo >>> 12) & TLB_MASK;
      const po = plo & 0xfff;
      // A hit up to the page's last halfword: a region may start there (a 2-byte instruction), but
      // the fetch below reads a word only from offsets that leave four bytes in the page.
      if (fTag[2 * ti] === ((plo & -4096) | h.fetchCtx) && fTag[2 * ti + 1] === phi && po <= 4094) {
        fBase = pc - po;
        fOff = fOffs[ti];
        fo = po;
      } else {
        fBase = NaN;
        fo = -1;
      }
    }

    // ---- translated regions: looked up only where one may start (after a control transfer or an
    // exit from translated code), entered with the budget left, left with the pc to continue at
    if (jumped && fo >= 0) {
      jumped = false;
      if (heatHome >= 0) {
        // Credit the entry point the interpreter ran from with the instructions it ran since: an
        // unrolled loop body or a long straight-line function costs its length per entry, and gets
        // hot as soon as a short block entered a thousand times more often.
        const heat = jHot[heatHome]! + (spent - heatFrom);
        const home = heatHome;
        heatHome = -1;
        if (heat < jit.threshold) jHot[home] = heat;
        else {
          jHot[home] = 0;
          if (jit.find(heatRo, heatPc, home) < 0 && jit.queue(heatRo, heatPc, home, startInstret + spent)) translatePending(h);
        }
      }
      const ro = fOff + fo;
      const home = Math.imul(ro >>> 1, 0x9e3779b1) >>> JIT_SHIFT; // jitSlot(ro), inlined
      const js = jTagOff[home] === ro && jTagPc[home] === pc ? home : jit.find(ro, pc, home);
      if (js >= 0) {
        const slot = jEntry[js];
        if (slot >= 0 && (jChecked[js] === jit.epoch || jit.stillValid(js, ramWords))) {
          pc = dispatch(slot, limit - spent, dctx, h.fetchCtx);
          const done = hs[EXIT_DONE_WORD];
          const code = hs[EXIT_CODE_WORD];
          const chained = hs[EXIT_CHAINED_WORD];
          spent += done;
          jstats.runs += 1 + chained;
          jstats.chained += chained;
          jstats.exits[EXIT_JUMP] += chained;
          jstats.translatedInsns += done;
          jstats.exits[code]++;
          // A region that ran nothing (its first block did not fit the budget) would be entered
          // again at once: interpret instead.
          jumped = done !== 0;
          if (code !== EXIT_JUMP) {
            if (code === EXIT_INTERPRET) {
              jumped = false;
              lookupAfter = true;
            } else {
              limit = 0;
              if (code === EXIT_TRAP) {
                spent++;
                traps++;
                h.pc = pc;
                takeTrap(h, h.trapCause, false, h.trapTvalLo, h.trapTvalHi);
                h.trapCause = -1;
                pc = h.pc;
                fBase = NaN;
              }
              // A service exit follows, among others, a CSR write that changed the data context
              // (sstatus.SUM around the kernel's user copies): the next region must check its TLB
              // hits against the new one, or every access misses into the slow path.
              dctx = h.dataCtx;
            }
          }
          continue;
        }
      } else if (++jHot[home] >= jit.threshold) {
        jHot[home] = 0;
        if (jit.queue(ro, pc, home, startInstret + spent)) {
          translatePending(h);
          jumped = true;
          continue;
        }
      } else {
        heatHome = home;
        heatRo = ro;
        heatPc = pc;
        heatFrom = spent + 1; // its first instruction was counted above
      }
    }
    spent++;

    let word: number;
    if (fo >= 0 && fo <= 4092) {
      word = view.getInt32(fOff + fo, true);
    } else {
      if (!fetchSlow(h, pc === WILD_PC ? pcLo(h, pc) : pc | 0, pc === WILD_PC ? pcHi(h, pc) : Math.floor(pc / TWO32) | 0)) {
        h.pc = pc;
        takeTrap(h, h.trapCause, false, h.trapTvalLo, h.trapTvalHi);
        h.trapCause = -1;
        pc = h.pc;
        dctx = h.dataCtx;
        traps++;
        limit = 0;
        jumped = jitOn;
        continue;
      }
      word = h.tmpLo;
    }

    // ---- decode
    let insn = word;
    let npc: number;
    if ((word & 3) !== 3) {
      insn = EXPANDED[word & 0xffff];
      if (insn === 0) insn = expanded(word & 0xffff);
      npc = pc + 2;
    } else {
      npc = pc + 4;
    }
    // Both compares evaluated every time (no &&): V8 has feedback for them from the warm-up, and the
    // first page-crossing instruction of a boot does not deoptimize this loop.
    if (lookupAfter) jit.noteUntranslated(insn, (pc & 0xfff) === 0xffe, (word & 3) === 3);
    const rd2 = ((insn >> 6) & 62) || X0_SINK; // 2 * rd; writes to x0 land in the sink
    const rs1 = (insn >> 14) & 62; // 2 * rs1
    const rs2 = (insn >> 19) & 62; // 2 * rs2
    const f3 = (insn >> 12) & 7;
    let trap = false;

    // Every word reaching here ends in 0b11 (illegal C encodings expand to all ones), so the major
    // opcode is bits 6:2: a dense 0..31 switch V8 turns into a jump table.
    switch ((insn >>> 2) & 31) {
      // ---- GENERATED by interpreter-codegen.ts from isa.ts (integer ALU, branches, loads, stores): do not edit.
      // Regenerate: VM_UPDATE_GENERATED=1 npx vitest run test/unit/emulator/cpu/interpreter-codegen.test.ts
      case 4: { // opcode 0x13: addi slti sltiu xori ori andi slli srli srai
        const alo = x[rs1];
        const ahi = x[rs1 + 1];
        const blo = insn >> 20;
        const bhi = blo >> 31;
        switch (f3) {
          case 0: {
            // ADDI
            const lo = (alo + blo) | 0;
            x[rd2 + 1] = (ahi + bhi + (lo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
            x[rd2] = lo;
            break;
          }
          case 1: {
            if ((insn & 0xfc000000) === 0x0) {
              // SLLI
              const s = blo & 63;
              if (s === 0) {
                x[rd2] = alo;
                x[rd2 + 1] = ahi;
              } else if (s < 32) {
                x[rd2 + 1] = (ahi << s) | (alo >>> (32 - s));
                x[rd2] = alo << s;
              } else {
                x[rd2 + 1] = alo << (s - 32);
                x[rd2] = 0;
              }
            } else {
              trap = true;
            }
            break;
          }
          case 2: {
            // SLTI
            x[rd2] = ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0) ? 1 : 0;
            x[rd2 + 1] = 0;
            break;
          }
          case 3: {
            // SLTIU
            x[rd2] = ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0) ? 1 : 0;
            x[rd2 + 1] = 0;
            break;
          }
          case 4: {
            // XORI
            x[rd2] = alo ^ blo;
            x[rd2 + 1] = ahi ^ bhi;
            break;
          }
          case 5: {
            if ((insn & 0xfc000000) === 0x0) {
              // SRLI
              const s = blo & 63;
              if (s === 0) {
                x[rd2] = alo;
                x[rd2 + 1] = ahi;
              } else if (s < 32) {
                x[rd2] = (alo >>> s) | (ahi << (32 - s));
                x[rd2 + 1] = ahi >>> s;
              } else {
                x[rd2] = ahi >>> (s - 32);
                x[rd2 + 1] = 0;
              }
            } else if ((insn & 0xfc000000) === 0x40000000) {
              // SRAI
              const s = blo & 63;
              if (s === 0) {
                x[rd2] = alo;
                x[rd2 + 1] = ahi;
              } else if (s < 32) {
                x[rd2] = (alo >>> s) | (ahi << (32 - s));
                x[rd2 + 1] = ahi >> s;
              } else {
                x[rd2] = ahi >> (s - 32);
                x[rd2 + 1] = ahi >> 31;
              }
            } else {
              trap = true;
            }
            break;
          }
          case 6: {
            // ORI
            x[rd2] = alo | blo;
            x[rd2 + 1] = ahi | bhi;
            break;
          }
          case 7: {
            // ANDI
            x[rd2] = alo & blo;
            x[rd2 + 1] = ahi & bhi;
            break;
          }
        }
        break;
      }

      case 6: { // opcode 0x1b: addiw slliw srliw sraiw
        const alo = x[rs1];
        const blo = insn >> 20;
        switch (f3) {
          case 0: {
            // ADDIW
            const r = (alo + blo) | 0;
            x[rd2] = r;
            x[rd2 + 1] = r >> 31;
            break;
          }
          case 1: {
            if ((insn & 0xfe000000) === 0x0) {
              // SLLIW
              const r = alo << (blo & 31);
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else {
              trap = true;
            }
            break;
          }
          case 5: {
            if ((insn & 0xfe000000) === 0x0) {
              // SRLIW
              const r = (alo >>> (blo & 31)) | 0;
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else if ((insn & 0xfe000000) === 0x40000000) {
              // SRAIW
              const r = alo >> (blo & 31);
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else {
              trap = true;
            }
            break;
          }
          default:
            trap = true;
            break;
        }
        break;
      }

      case 12: { // opcode 0x33: add sub sll slt sltu xor srl sra or and mul mulh mulhsu mulhu div divu rem remu
        const alo = x[rs1];
        const ahi = x[rs1 + 1];
        const blo = x[rs2];
        const bhi = x[rs2 + 1];
        switch (f3) {
          case 0: {
            if ((insn & 0xfe000000) === 0x0) {
              // ADD
              const lo = (alo + blo) | 0;
              x[rd2 + 1] = (ahi + bhi + (lo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
              x[rd2] = lo;
            } else if ((insn & 0xfe000000) === 0x40000000) {
              // SUB
              const lo = (alo - blo) | 0;
              x[rd2 + 1] = (ahi - bhi - (alo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
              x[rd2] = lo;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // MUL
              mul64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
          case 1: {
            if ((insn & 0xfe000000) === 0x0) {
              // SLL
              const s = blo & 63;
              if (s === 0) {
                x[rd2] = alo;
                x[rd2 + 1] = ahi;
              } else if (s < 32) {
                x[rd2 + 1] = (ahi << s) | (alo >>> (32 - s));
                x[rd2] = alo << s;
              } else {
                x[rd2 + 1] = alo << (s - 32);
                x[rd2] = 0;
              }
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // MULH
              mulh64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
          case 2: {
            if ((insn & 0xfe000000) === 0x0) {
              // SLT
              x[rd2] = ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0) ? 1 : 0;
              x[rd2 + 1] = 0;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // MULHSU
              mulhsu64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
          case 3: {
            if ((insn & 0xfe000000) === 0x0) {
              // SLTU
              x[rd2] = ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0) ? 1 : 0;
              x[rd2 + 1] = 0;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // MULHU
              mulhu64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
          case 4: {
            if ((insn & 0xfe000000) === 0x0) {
              // XOR
              x[rd2] = alo ^ blo;
              x[rd2 + 1] = ahi ^ bhi;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // DIV
              div64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
          case 5: {
            if ((insn & 0xfe000000) === 0x0) {
              // SRL
              const s = blo & 63;
              if (s === 0) {
                x[rd2] = alo;
                x[rd2 + 1] = ahi;
              } else if (s < 32) {
                x[rd2] = (alo >>> s) | (ahi << (32 - s));
                x[rd2 + 1] = ahi >>> s;
              } else {
                x[rd2] = ahi >>> (s - 32);
                x[rd2 + 1] = 0;
              }
            } else if ((insn & 0xfe000000) === 0x40000000) {
              // SRA
              const s = blo & 63;
              if (s === 0) {
                x[rd2] = alo;
                x[rd2 + 1] = ahi;
              } else if (s < 32) {
                x[rd2] = (alo >>> s) | (ahi << (32 - s));
                x[rd2 + 1] = ahi >> s;
              } else {
                x[rd2] = ahi >> (s - 32);
                x[rd2 + 1] = ahi >> 31;
              }
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // DIVU
              divu64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
          case 6: {
            if ((insn & 0xfe000000) === 0x0) {
              // OR
              x[rd2] = alo | blo;
              x[rd2 + 1] = ahi | bhi;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // REM
              rem64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
          case 7: {
            if ((insn & 0xfe000000) === 0x0) {
              // AND
              x[rd2] = alo & blo;
              x[rd2 + 1] = ahi & bhi;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // REMU
              remu64(x, rd2, alo, ahi, blo, bhi);
            } else {
              trap = true;
            }
            break;
          }
        }
        break;
      }

      case 14: { // opcode 0x3b: addw subw sllw srlw sraw mulw divw divuw remw remuw
        const alo = x[rs1];
        const blo = x[rs2];
        switch (f3) {
          case 0: {
            if ((insn & 0xfe000000) === 0x0) {
              // ADDW
              const r = (alo + blo) | 0;
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else if ((insn & 0xfe000000) === 0x40000000) {
              // SUBW
              const r = (alo - blo) | 0;
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // MULW
              const r = Math.imul(alo, blo);
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else {
              trap = true;
            }
            break;
          }
          case 1: {
            if ((insn & 0xfe000000) === 0x0) {
              // SLLW
              const r = alo << (blo & 31);
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else {
              trap = true;
            }
            break;
          }
          case 4: {
            if ((insn & 0xfe000000) === 0x2000000) {
              // DIVW
              divw(x, rd2, 4, alo, blo);
            } else {
              trap = true;
            }
            break;
          }
          case 5: {
            if ((insn & 0xfe000000) === 0x0) {
              // SRLW
              const r = (alo >>> (blo & 31)) | 0;
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else if ((insn & 0xfe000000) === 0x40000000) {
              // SRAW
              const r = alo >> (blo & 31);
              x[rd2] = r;
              x[rd2 + 1] = r >> 31;
            } else if ((insn & 0xfe000000) === 0x2000000) {
              // DIVUW
              divw(x, rd2, 5, alo, blo);
            } else {
              trap = true;
            }
            break;
          }
          case 6: {
            if ((insn & 0xfe000000) === 0x2000000) {
              // REMW
              divw(x, rd2, 6, alo, blo);
            } else {
              trap = true;
            }
            break;
          }
          case 7: {
            if ((insn & 0xfe000000) === 0x2000000) {
              // REMUW
              divw(x, rd2, 7, alo, blo);
            } else {
              trap = true;
            }
            break;
          }
          default:
            trap = true;
            break;
        }
        break;
      }

      case 24: { // opcode 0x63: beq bne blt bge bltu bgeu
        const alo = x[rs1];
        const ahi = x[rs1 + 1];
        const blo = x[rs2];
        const bhi = x[rs2 + 1];
        let taken: boolean;
        switch (f3) {
          case 0: // BEQ
            taken = alo === blo && ahi === bhi;
            break;
          case 1: // BNE
            taken = alo !== blo || ahi !== bhi;
            break;
          case 4: // BLT
            taken = ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0);
            break;
          case 5: // BGE
            taken = !(ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0));
            break;
          case 6: // BLTU
            taken = ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0);
            break;
          case 7: // BGEU
            taken = !(ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0));
            break;
          default:
            trap = true;
            taken = false;
        }
        if (taken) {
          npc = pc + (((insn >> 31) << 12) | ((insn & 0x80) << 4) | ((insn >>> 20) & 0x7e0) | ((insn >>> 7) & 0x1e));
          jumped = jitOn;
        }
        break;
      }

      case 0: { // opcode 0x3: lb lh lw ld lbu lhu lwu
        if (f3 === 7) {
          trap = true;
          break;
        }
        const size = 1 << (f3 & 3);
        const base = x[rs1];
        const imm = insn >> 20;
        const lo = (base + imm) | 0;
        const hi = imm >= 0 ? (lo >>> 0 < base >>> 0 ? (x[rs1 + 1] + 1) | 0 : x[rs1 + 1]) : lo >>> 0 > base >>> 0 ? (x[rs1 + 1] - 1) | 0 : x[rs1 + 1];
        const ti = (lo >>> 12) & TLB_MASK;
        const o = lo & 0xfff;
        let vlo: number;
        let vhi = 0;
        if (lTag[2 * ti] === ((lo & -4096) | dctx) && lTag[2 * ti + 1] === hi && o + size <= 4096) {
          const p = lOffs[ti] + o;
          switch (f3) {
            case 0: // LB
              vlo = view.getInt8(p);
              vhi = vlo >> 31;
              break;
            case 1: // LH
              vlo = view.getInt16(p, true);
              vhi = vlo >> 31;
              break;
            case 2: // LW
              vlo = view.getInt32(p, true);
              vhi = vlo >> 31;
              break;
            case 3: // LD
              vlo = view.getInt32(p, true);
              vhi = view.getInt32(p + 4, true);
              break;
            case 4: // LBU
              vlo = view.getUint8(p);
              break;
            case 5: // LHU
              vlo = view.getUint16(p, true);
              break;
            default: // LWU
              vlo = view.getInt32(p, true);
              break;
          }
        } else {
          limit = 0; // MMIO may have raised an interrupt or asked us to stop
          if (!loadSlow(h, lo, hi, size)) {
            trap = true;
            break;
          }
          vlo = h.tmpLo;
          switch (f3) {
            case 0: // LB
              vlo = (vlo << 24) >> 24;
              vhi = vlo >> 31;
              break;
            case 1: // LH
              vlo = (vlo << 16) >> 16;
              vhi = vlo >> 31;
              break;
            case 2: // LW
              vhi = vlo >> 31;
              break;
            case 3: // LD
              vhi = h.tmpHi;
              break;
            case 4: // LBU
              vlo &= 0xff;
              break;
            case 5: // LHU
              vlo &= 0xffff;
              break;
          }
        }
        x[rd2] = vlo;
        x[rd2 + 1] = vhi;
        break;
      }

      case 8: { // opcode 0x23: sb sh sw sd
        if (f3 > 3) {
          trap = true;
          break;
        }
        const size = 1 << f3;
        const base = x[rs1];
        const imm = ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f);
        const lo = (base + imm) | 0;
        const hi = imm >= 0 ? (lo >>> 0 < base >>> 0 ? (x[rs1 + 1] + 1) | 0 : x[rs1 + 1]) : lo >>> 0 > base >>> 0 ? (x[rs1 + 1] - 1) | 0 : x[rs1 + 1];
        const ti = (lo >>> 12) & TLB_MASK;
        const o = lo & 0xfff;
        if (sTag[2 * ti] === ((lo & -4096) | dctx) && sTag[2 * ti + 1] === hi && o + size <= 4096) {
          const p = sOffs[ti] + o;
          switch (f3) {
            case 0: // SB
              view.setInt8(p, x[rs2]);
              break;
            case 1: // SH
              view.setInt16(p, x[rs2], true);
              break;
            case 2: // SW
              view.setInt32(p, x[rs2], true);
              break;
            default: // SD
              view.setInt32(p, x[rs2], true);
              view.setInt32(p + 4, x[rs2 + 1], true);
              break;
          }
        } else {
          limit = 0;
          if (!storeSlow(h, lo, hi, size, x[rs2], x[rs2 + 1])) trap = true;
        }
        break;
      }

      // ---- end of GENERATED

      case 13: { // opcode 0x37
        // LUI
        const v = insn & -4096;
        x[rd2] = v;
        x[rd2 + 1] = v >> 31;
        break;
      }

      case 5: { // opcode 0x17
        // AUIPC
        const v = pc + (insn & -4096);
        x[rd2] = v | 0;
        x[rd2 + 1] = Math.floor(v / TWO32);
        break;
      }

      case 27: { // opcode 0x6f
        // JAL
        const imm = ((insn >> 31) << 20) | (insn & 0xff000) | ((insn >>> 9) & 0x800) | ((insn >>> 20) & 0x7fe);
        x[rd2] = npc | 0;
        x[rd2 + 1] = Math.floor(npc / TWO32);
        npc = pc + imm;
        jumped = jitOn;
        break;
      }

      case 25: { // opcode 0x67
        // JALR
        if (f3 !== 0) {
          trap = true;
          break;
        }
        const imm = insn >> 20;
        const blo = x[rs1];
        const u = (blo >>> 0) + imm;
        const hi = (x[rs1 + 1] + (u < 0 ? -1 : u > 4294967295 ? 1 : 0)) | 0;
        const lo = (u | 0) & ~1;
        x[rd2] = npc | 0;
        x[rd2 + 1] = Math.floor(npc / TWO32);
        if (hi >= -0x200000 && hi < 0x200000) {
          npc = hi * TWO32 + (lo >>> 0);
        } else {
          h.wildPc = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
          npc = WILD_PC;
        }
        jumped = jitOn;
        break;
      }

      case 3: // opcode 0x0f
        // MISC-MEM: FENCE is a no-op (one thread runs everything). FENCE.I has nothing to drop:
        // translated code is dropped when its bytes are written (domain.ts), and the interpreter
        // fetches from RAM.
        if (f3 === 1) {
          h.host.onCodeWrite?.(-1);
        } else if (f3 !== 0) {
          trap = true;
        }
        break;

      case 28: { // opcode 0x73
        // SYSTEM
        h.pc = pc;
        h.instretCount = startInstret + spent - 1 - traps;
        const r = systemInstruction(h, insn);
        startInstret = h.instretCount - (spent - 1 - traps);
        dctx = h.dataCtx;
        fBase = NaN;
        limit = 0;
        if (r === SYS_TRAP) {
          trap = true;
        } else if (r === SYS_JUMP) {
          npc = h.pc;
          jumped = jitOn;
        }
        // SYS_NEXT and SYS_WAIT continue after the instruction; after a WFI that parked the hart,
        // the service point sees h.waiting and leaves run().
        break;
      }

      case 11: // opcode 0x2f
        // AMO
        if (!amoInstruction(h, insn)) trap = true;
        break;

      case 1: // opcode 0x07
      case 9: { // opcode 0x27
        // LOAD-FP / STORE-FP: FLW, FLD, FSW, FSD (raw bits; FLW NaN-boxes)
        if ((h.mstatus & MSTATUS_FS) === 0 || (f3 !== 2 && f3 !== 3)) {
          trap = true;
          break;
        }
        const size = f3 === 2 ? 4 : 8;
        const isStore = (insn & 0x7f) === 0x27;
        const imm = isStore ? ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f) : insn >> 20;
        const u = (x[rs1] >>> 0) + imm;
        const lo = u | 0;
        const hi = (x[rs1 + 1] + (u < 0 ? -1 : u > 4294967295 ? 1 : 0)) | 0;
        const ti = (lo >>> 12) & TLB_MASK;
        const o = lo & 0xfff;
        if (isStore) {
          if (sTag[2 * ti] === ((lo & -4096) | dctx) && sTag[2 * ti + 1] === hi && o + size <= 4096) {
            const p = sOffs[ti] + o;
            view.setInt32(p, fRaw[rs2], true);
            if (size === 8) view.setInt32(p + 4, fRaw[rs2 + 1], true);
          } else {
            limit = 0;
            if (!storeSlow(h, lo, hi, size, fRaw[rs2], fRaw[rs2 + 1])) trap = true;
          }
        } else {
          let vlo: number;
          let vhi: number;
          if (lTag[2 * ti] === ((lo & -4096) | dctx) && lTag[2 * ti + 1] === hi && o + size <= 4096) {
            const p = lOffs[ti] + o;
            vlo = view.getInt32(p, true);
            vhi = size === 8 ? view.getInt32(p + 4, true) : -1;
          } else {
            limit = 0;
            if (!loadSlow(h, lo, hi, size)) {
              trap = true;
              break;
            }
            vlo = h.tmpLo;
            vhi = size === 8 ? h.tmpHi : -1;
          }
          const fd = (insn >> 6) & 62; // f0 is a real register
          fRaw[fd] = vlo;
          fRaw[fd + 1] = vhi;
          h.mstatus |= MSTATUS_FS;
        }
        break;
      }

      case 16: // opcode 0x43
      case 17: // opcode 0x47
      case 18: // opcode 0x4b
      case 19: // opcode 0x4f
      case 20: // opcode 0x53
        // F/D arithmetic: the FPU module; FS = Off makes every FP instruction illegal.
        if ((h.mstatus & MSTATUS_FS) === 0 || executeFp(h.fpu, insn, x) !== 0) trap = true;
        else h.mstatus |= MSTATUS_FS;
        break;

      default:
        trap = true;
        break;
    }

    if (trap) {
      // The one place a synchronous trap is taken. Decoders above only flag `trap`: the illegal
      // instruction cause is filled in here, with the original (possibly 16-bit) encoding as tval.
      if (h.trapCause < 0) raise(h, CAUSE_ILLEGAL_INSTRUCTION, (word & 3) === 3 ? word : word & 0xffff, 0);
      h.pc = pc;
      takeTrap(h, h.trapCause, false, h.trapTvalLo, h.trapTvalHi);
      h.trapCause = -1;
      pc = h.pc;
      dctx = h.dataCtx;
      fBase = NaN;
      traps++;
      limit = 0;
      jumped = jitOn;
    } else {
      pc = npc;
      if (lookupAfter) {
        lookupAfter = false;
        jumped = true;
      }
    }
  }

  h.pc = pc;
  h.instretCount = startInstret + spent - traps;
  // Entry points queued for translation wait for a full batch, but not for long.
  if (jitOn && jit.pending > 0 && h.instretCount - jit.pendingSince >= jit.maxWait) translatePending(h);
  return spent;
}
