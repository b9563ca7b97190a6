/* Wire constants of the vm agent protocol, version 1. PROTOCOL.md is the reference; the host's
 * copy is src/core/agent/protocol.ts and must stay identical. */
#ifndef VM_AGENT_PROTO_H
#define VM_AGENT_PROTO_H

#define PROTO_VERSION 1u

/* Decoded frame: header, payload, CRC-32 trailer. On the wire it is COBS-encoded and followed by
 * one 0x00 delimiter. */
#define HDR_SIZE 12u
#define CRC_SIZE 4u
#define MAX_PAYLOAD 65536u
#define MAX_FRAME (HDR_SIZE + MAX_PAYLOAD + CRC_SIZE)
/* COBS adds one code byte per 254 data bytes, plus one. */
#define MAX_ENCODED (MAX_FRAME + MAX_FRAME / 254u + 2u)

#define FLAG_EOF 0x01u

/* host -> guest */
#define T_HELLO 0x01
#define T_PING 0x02
#define T_EXEC 0x10
#define T_STDIN 0x11
#define T_SIGNAL 0x12
#define T_WINDOW 0x13
#define T_FILE_WRITE 0x20
#define T_FILE_DATA 0x21
#define T_FILE_READ 0x22
#define T_CANCEL 0x2F
#define T_POWER 0x30

/* guest -> host */
#define T_AGENT_RESET 0x80
#define T_HELLO_ACK 0x81
#define T_PONG 0x82
#define T_EXEC_STARTED 0x90
#define T_STDOUT 0x91
#define T_STDERR 0x92
#define T_CREDIT 0x93
#define T_EXIT 0x94
#define T_FILE_WRITTEN 0xA0
#define T_FILE_INFO 0xA2
#define T_FILE_CHUNK 0xA3
#define T_POWER_ACK 0xB0
#define T_ERROR 0xFF

/* stream ids in WINDOW / CREDIT payloads */
#define STREAM_STDIN 0
#define STREAM_STDOUT 1
#define STREAM_STDERR 2
#define STREAM_FILE 3

#define EXEC_CLEAR_ENV 0x01u
#define FILE_MKDIRS 0x01u

#define POWER_OFF 0
#define POWER_REBOOT 1

#define EXIT_CODE 0
#define EXIT_SIGNAL 1

#define NONCE_SIZE 16u
#define MAX_PING 256u
#define MAX_LIST 4096u

/* Limits the agent announces in HELLO_ACK. */
#define MAX_SESSIONS 32u
#define STDIN_WINDOW (256u * 1024u)
#define FILE_WINDOW (256u * 1024u)
/* Credit a host may grant on one stream, in total outstanding. */
#define MAX_GRANT (64u * 1024u * 1024u)

#endif
