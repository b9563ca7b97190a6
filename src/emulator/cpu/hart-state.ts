// Where one hart's state lives in the machine's memory (memory/ram.ts), as byte offsets from the
// hart's block. The interpreter reaches these through typed-array views; translated code (jit/)
// addresses them directly, so the two always see one register file and one TLB.

import { TLB_BYTES } from './mmu/tlb.js';

/** x0..x31 as int32 lo/hi pairs, which in little-endian memory is 32 consecutive i64 values;
 *  then x[64..65], the sink the interpreter writes instead of x0. */
export const HS_X = 0;
export const HS_X_WORDS = 66;
/** How translated code left (jit/region.ts EXIT_*), and how many instructions it completed. */
export const HS_EXIT_CODE = 272;
export const HS_EXIT_DONE = 276;
/** A slow-path load's raw bits (i64), handed from JavaScript to translated code. */
export const HS_TMP = 280;
/** Regions the dispatcher entered from another region in its last call (jit/translate.ts). */
export const HS_EXIT_CHAINED = 288;
/** mstatus bits 31:0 (cpu/hart.ts Hart.mstatus): translated code checks FS and marks it dirty. */
export const HS_MSTATUS = 292;
/** f0..f31 as 64-bit raw bits (fpu/index.ts FpuState), where translated FP loads and stores reach them. */
export const HS_F = 512;
export const HS_TLB = 768;
export const HS_BYTES = HS_TLB + TLB_BYTES;
