/**
 * The robot-loop wire protocol: fixed 16-byte little-endian frame headers followed by a payload of
 * `length` bytes, over a byte stream (a Unix domain socket by default, TCP on localhost as an option).
 *
 *   offset  size  field
 *   0       u16   magic   0x4D47 (the bytes "G", "M")
 *   2       u8    version 2
 *   3       u8    type    1 HELLO, 2 OBS, 3 ACTION, 4 ERROR, 5 BYE, 6 ACK
 *   4       u32   seq     OBS: the robot's step counter; ACTION: the controller's tick; ACK: the tick of
 *                         the ACTION the robot has read; else 0
 *   8       u32   aux     OBS: flags (bit 0: the episode was reset at this observation);
 *                         ACTION: the seq of the observation the action was computed from;
 *                         ERROR: an ErrorCode; else 0
 *   12      u32   length  payload bytes (at most MAX_PAYLOAD)
 *
 * Payloads:
 *   HELLO   UTF-8 JSON. Controller → robot on connect: `ControllerHello`; the robot answers with
 *           `RobotHello` (its observation and action sizes, checked against the model's).
 *   OBS     float32[obsSize]                               robot → controller
 *   ACTION  float32[actionSize]                            controller → robot; a discrete action is
 *           its index as one float32 (exact below 2²⁴); a grid or box action is the action vector
 *   ERROR   UTF-8 text: what was wrong and how to fix it   either way
 *   BYE     UTF-8 JSON summary (may be empty)              either way; the sender closes after it
 *   ACK     empty                                          robot → controller, one per ACTION read
 *
 * Flow control (version 2): the robot answers every ACTION it reads from the socket — applied or
 * refused — with an ACK carrying that ACTION's tick, and the controller keeps at most one ACTION
 * unacknowledged: a tick whose action finds the previous one unacknowledged is not written (the
 * controller counts it as dropped). A robot that stops reading therefore finds at most one old
 * command waiting when it resumes, however long it paused. The socket's own backpressure cannot give
 * that bound: Node exposes no SO_SNDBUF for stream sockets, and the kernel's default buffers hold
 * thousands of ACTION frames before a write blocks (Node's writableLength stays 0 meanwhile).
 *
 * A frame with a bad magic, version or oversized length desynchronizes the stream: the receiver
 * answers with an ERROR and closes the connection. A frame of a known layout but an unexpected type or
 * size gets an ERROR reply and the connection stays up.
 *
 * Encoders write into caller-owned buffers (the hot path reuses one buffer per direction); the
 * decoder copies incoming bytes into one preallocated buffer and hands each complete frame to a
 * callback as offsets into it, so neither side allocates per frame.
 */

/** The Unix domain socket the simulated robot listens on and the controller connects to by default. */
export const DEFAULT_SOCKET = '/tmp/gmmrl-robot.sock';

export const MAGIC = 0x4d47;
/** Version 2 added ACK (flow control); a version-1 peer is refused as a version mismatch. */
export const VERSION = 2;
export const HEADER_BYTES = 16;
/** Largest payload either side accepts (64 KiB: 16 384 float32 entries). */
export const MAX_PAYLOAD = 65536;
/** Most float32 entries one OBS or ACTION frame can carry: the largest obsSize/actionSize a HELLO may announce. */
export const MAX_FLOATS = MAX_PAYLOAD / 4;

export const FrameType = {
  HELLO: 1,
  OBS: 2,
  ACTION: 3,
  ERROR: 4,
  BYE: 5,
  ACK: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_TYPE_NAMES: Record<number, string> = { 1: 'HELLO', 2: 'OBS', 3: 'ACTION', 4: 'ERROR', 5: 'BYE', 6: 'ACK' };

/** ERROR codes (the frame's aux field). */
export const ErrorCode = {
  BAD_MAGIC: 1,
  BAD_VERSION: 2,
  BAD_LENGTH: 3,
  UNEXPECTED_TYPE: 4,
  BAD_OBS_SIZE: 5,
  BAD_OBS_VALUE: 6,
  BAD_HELLO: 7,
  POLICY_ERROR: 8,
  BAD_ACTION: 9,
  BAD_ACK: 10,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** OBS aux flag: the robot reset its episode and this is the first observation of the new one. */
export const OBS_FLAG_RESET = 1;

/** What the controller announces on connect. */
export interface ControllerHello {
  protocol: number;
  role: 'controller';
  family: string;
  envId: string;
  obsSize: number;
  /** float32 entries per ACTION payload. */
  actionSize: number;
  actionKind: 'discrete' | 'grid' | 'box';
  /** Number of discrete actions (grid points for a grid); 0 for a box. */
  numActions: number;
  /** Control rate; 0 when free-running (one action per fresh observation, as fast as possible). */
  rateHz: number;
}

/** What the robot answers. */
export interface RobotHello {
  protocol: number;
  role: 'robot';
  name: string;
  obsSize: number;
  actionSize: number;
}

/** Writes a header at `at`; returns the payload offset. */
export function writeHeader(buf: Buffer, at: number, type: FrameType, seq: number, aux: number, length: number): number {
  buf.writeUInt16LE(MAGIC, at);
  buf.writeUInt8(VERSION, at + 2);
  buf.writeUInt8(type, at + 3);
  buf.writeUInt32LE(seq >>> 0, at + 4);
  buf.writeUInt32LE(aux >>> 0, at + 8);
  buf.writeUInt32LE(length >>> 0, at + 12);
  return at + HEADER_BYTES;
}

/** Bytes of a frame carrying n float32 values. */
export function floatFrameBytes(n: number): number {
  return HEADER_BYTES + 4 * n;
}

/**
 * Encodes a frame of float32 values (OBS or ACTION) into `buf` from offset 0 without allocating;
 * returns the frame's byte length. `buf` must hold floatFrameBytes(values.length) bytes.
 */
export function encodeFloatFrame(buf: Buffer, type: FrameType, seq: number, aux: number, values: ArrayLike<number>): number {
  const n = values.length;
  let o = writeHeader(buf, 0, type, seq, aux, 4 * n);
  for (let i = 0; i < n; i++, o += 4) buf.writeFloatLE(values[i]!, o);
  return o;
}

/** ACTION frame with a single value (a discrete action index) into `buf`; returns the byte length. */
export function encodeScalarAction(buf: Buffer, seq: number, obsSeq: number, value: number): number {
  const o = writeHeader(buf, 0, FrameType.ACTION, seq, obsSeq, 4);
  buf.writeFloatLE(value, o);
  return o + 4;
}

/** Bytes of an ACK frame (a header, no payload). */
export const ACK_BYTES = HEADER_BYTES;

/** ACK for the ACTION of `tick` into `buf` at `at`; returns the offset after it. */
export function encodeAck(buf: Buffer, at: number, tick: number): number {
  return writeHeader(buf, at, FrameType.ACK, tick, 0, 0);
}

/** A text or JSON frame (HELLO, ERROR, BYE) in a fresh buffer: not for the hot path. */
export function encodeTextFrame(type: FrameType, aux: number, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  if (body.length > MAX_PAYLOAD)
    throw new RangeError(`protocol: a ${FRAME_TYPE_NAMES[type]} payload of ${body.length} bytes exceeds MAX_PAYLOAD = ${MAX_PAYLOAD}.`);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  writeHeader(buf, 0, type, 0, aux, body.length);
  body.copy(buf, HEADER_BYTES);
  return buf;
}

export function encodeError(code: ErrorCode, message: string): Buffer {
  return encodeTextFrame(FrameType.ERROR, code, message);
}

export function encodeJson(type: FrameType, value: unknown): Buffer {
  return encodeTextFrame(type, 0, JSON.stringify(value));
}

/** Called for every complete frame; the payload is `buf[offset, offset + length)`, valid only during the call. */
export type FrameHandler = (type: number, seq: number, aux: number, buf: Buffer, offset: number, length: number) => void;
/** Called once when the stream is desynchronized (bad magic, version or length); no frame follows. */
export type DesyncHandler = (code: ErrorCode, message: string) => void;

/**
 * Reassembles frames from stream chunks. One preallocated buffer of HEADER_BYTES + maxPayload bytes
 * (plus room for a read) holds the bytes of the frame in progress; complete frames are handed to
 * `onFrame` in order. After a desync the decoder reports once and ignores everything after it.
 */
export class FrameDecoder {
  readonly buf: Buffer;
  private len = 0;
  private dead = false;

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly onDesync: DesyncHandler,
    readonly maxPayload = MAX_PAYLOAD,
  ) {
    this.buf = Buffer.alloc(HEADER_BYTES + maxPayload);
  }

  /** True after a desync. */
  get desynced(): boolean {
    return this.dead;
  }

  /** Feeds bytes `chunk[start, end)`. */
  push(chunk: Uint8Array, start = 0, end = chunk.length): void {
    let at = start;
    while (at < end && !this.dead) {
      const room = this.buf.length - this.len;
      const n = Math.min(room, end - at);
      // the common case (a whole small read) copies without creating a view
      this.buf.set(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n), this.len);
      this.len += n;
      at += n;
      this.drain();
    }
  }

  private drain(): void {
    const b = this.buf;
    let o = 0;
    while (!this.dead && this.len - o >= HEADER_BYTES) {
      const magic = b.readUInt16LE(o);
      if (magic !== MAGIC) {
        return this.desync(
          ErrorCode.BAD_MAGIC,
          `bad frame magic 0x${magic.toString(16).padStart(4, '0')} (expected 0x${MAGIC.toString(16)}, the bytes "GM"): the peer does not speak the gmmrl robot-loop protocol, or the stream lost sync. Closing the connection.`,
        );
      }
      const version = b.readUInt8(o + 2);
      if (version !== VERSION) {
        return this.desync(
          ErrorCode.BAD_VERSION,
          `protocol version ${version} is not supported (this side speaks version ${VERSION}${version === 1 ? ', which adds an ACK from the robot for every ACTION it reads' : ''}). Update the peer. Closing the connection.`,
        );
      }
      const length = b.readUInt32LE(o + 12);
      if (length > this.maxPayload) {
        return this.desync(
          ErrorCode.BAD_LENGTH,
          `frame payload length ${length} bytes exceeds the limit of ${this.maxPayload} bytes (an observation of ${this.maxPayload / 4} float32 values). Closing the connection.`,
        );
      }
      if (this.len - o < HEADER_BYTES + length) break;
      this.onFrame(b.readUInt8(o + 3), b.readUInt32LE(o + 4), b.readUInt32LE(o + 8), b, o + HEADER_BYTES, length);
      o += HEADER_BYTES + length;
    }
    if (o > 0) {
      b.copyWithin(0, o, this.len);
      this.len -= o;
    }
  }

  private desync(code: ErrorCode, message: string): void {
    this.dead = true;
    this.len = 0;
    this.onDesync(code, message);
  }
}

/** Reads a UTF-8 payload (HELLO, ERROR, BYE). */
export function payloadText(buf: Buffer, offset: number, length: number): string {
  return buf.toString('utf8', offset, offset + length);
}

/** Default cap on peer-supplied text in a log line or a summary entry. */
export const PEER_TEXT_CHARS = 200;

/**
 * Peer-supplied text made safe to log: control characters (terminal escapes, newlines that would
 * forge log lines) written as \uXXXX, and cut to `maxChars` with a note of how much was left out.
 */
export function peerText(text: string, maxChars = PEER_TEXT_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (text.length <= maxChars) return clean(text);
  return `${clean(text.slice(0, maxChars))}… (${text.length - maxChars} more characters)`;
}
