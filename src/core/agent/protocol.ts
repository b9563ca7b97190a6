// Wire constants of the guest agent protocol, version 1: the host's copy of agent/src/proto.h.
// agent/PROTOCOL.md is the reference for both.

export const PROTO_VERSION = 1;

/** Decoded frame: 12-byte header, payload, CRC-32. On the wire: COBS-encoded, then one 0x00. */
export const HDR_SIZE = 12;
export const CRC_SIZE = 4;
export const MAX_PAYLOAD = 65536;
export const MAX_FRAME = HDR_SIZE + MAX_PAYLOAD + CRC_SIZE;
/** COBS adds one code byte per 254 data bytes, plus one. */
export const MAX_ENCODED = MAX_FRAME + Math.floor(MAX_FRAME / 254) + 2;

export const FLAG_EOF = 0x01;

export const T = {
  // host -> guest
  HELLO: 0x01,
  PING: 0x02,
  EXEC: 0x10,
  STDIN: 0x11,
  SIGNAL: 0x12,
  WINDOW: 0x13,
  FILE_WRITE: 0x20,
  FILE_DATA: 0x21,
  FILE_READ: 0x22,
  CANCEL: 0x2f,
  POWER: 0x30,
  // guest -> host
  AGENT_RESET: 0x80,
  HELLO_ACK: 0x81,
  PONG: 0x82,
  EXEC_STARTED: 0x90,
  STDOUT: 0x91,
  STDERR: 0x92,
  CREDIT: 0x93,
  EXIT: 0x94,
  FILE_WRITTEN: 0xa0,
  FILE_INFO: 0xa2,
  FILE_CHUNK: 0xa3,
  POWER_ACK: 0xb0,
  ERROR: 0xff,
} as const;

/** Stream ids in WINDOW (host grants) and CREDIT (guest grants) payloads. */
export const STREAM = { STDIN: 0, STDOUT: 1, STDERR: 2, FILE: 3 } as const;

export const EXEC_CLEAR_ENV = 0x01;
export const FILE_MKDIRS = 0x01;
export const POWER = { OFF: 0, REBOOT: 1 } as const;
export const EXIT_KIND = { CODE: 0, SIGNAL: 1 } as const;

export const NONCE_SIZE = 16;
export const MAX_PING = 256;
/** Most entries an argv or env list may have. */
export const MAX_LIST = 4096;

export interface Frame {
  type: number;
  flags: number;
  session: number;
  payload: Buffer;
}
