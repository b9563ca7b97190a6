// The part of the WebAssembly JavaScript API the emulator uses (Node has it as a global; TypeScript
// declares it only in lib.dom, which the project does not load).

declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  interface TableDescriptor {
    element: 'anyfunc';
    initial: number;
    maximum?: number;
  }
  class Table {
    constructor(descriptor: TableDescriptor);
    readonly length: number;
    grow(delta: number): number;
    /** Put a function exported by an instance into slot `index`. */
    set(index: number, value: (...args: number[]) => number): void;
  }
  type ImportValue = ((...args: number[]) => number | void) | Memory | Table;
  type Imports = Record<string, Record<string, ImportValue>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  /** Compiles off the calling thread; resolves on a later turn of the event loop. */
  function compile(bytes: Uint8Array): Promise<Module>;
  class CompileError extends Error {}
  class RuntimeError extends Error {}
}
