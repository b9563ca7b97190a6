// The host side of the guest agent channel: client, codec and errors.
export { AgentClient, connectAgent, connectSocket, waitForAgent, type AgentInfo, type ConnectOptions, type RunOptions, type RunResult } from './client.js';
export { AgentError, errnoName, type AgentErrorKind } from './errors.js';
export type { ExecHandle, ExecOptions } from './exec.js';
export type { ExecRequest, Bytes } from './exec-request.js';
export type { FileInfo, FileSink, ReadFileOptions, WriteFileOptions } from './file-transfer.js';
export type { ExitStatus } from './payloads.js';
export { encodeFrame, FrameDecoder, parseBlock } from './frame-codec.js';
export { signalName, signalNumber } from './signals.js';
export { viaMux } from './mux-connect.js';
