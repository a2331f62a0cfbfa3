import {
  encodeEventPosition,
  type EventEnvelope,
  type EventPosition,
  type PositionedEvent,
} from '@stella-orch/core';
import { deflateSegment, type DeflatedSegment } from './gzip-stream.js';

/** The bytes of every message of a chunk, back to back, and where message `i` starts (`starts[n]`: the end). */
interface Encoded {
  readonly bytes: Buffer;
  readonly starts: Uint32Array;
}

/** The SSE message of an event, and where its envelope's JSON lies in its bytes. */
interface SseEncoded extends Encoded {
  /** Byte offset, in `bytes`, of event `i`'s envelope JSON (it ends 2 bytes before `starts[i + 1]`). */
  readonly jsonStarts: Uint32Array;
}

/** `id: ` + 32 hex digits: where the position token lies in an SSE message. */
const TOKEN_AT = 4;
const TOKEN_LENGTH = 32;
const WS_PREFIX = Buffer.from('{"type":"event","position":"');
const WS_MIDDLE = Buffer.from('","event":');
const WS_SUFFIX = 0x7d; // }
const NEWLINE = 0x0a;
/** FIN + text frame (RFC 6455 §5.2). */
const WS_TEXT_FIN = 0x81;

/** The length of a server-to-client (unmasked) frame header for a payload of `length` bytes. */
function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/** The length of the header of a frame `total` bytes long (header included). */
function headerLengthOfFrame(total: number): number {
  return total - 2 < 126 ? 2 : total - 4 < 65_536 ? 4 : 10;
}

/** Writes the unmasked frame header of a text message of `length` bytes at `offset`; returns its end. */
function writeFrameHeader(target: Buffer, offset: number, length: number): number {
  target[offset] = WS_TEXT_FIN;
  if (length < 126) {
    target[offset + 1] = length;
    return offset + 2;
  }
  if (length < 65_536) {
    target[offset + 1] = 126;
    target.writeUInt16BE(length, offset + 2);
    return offset + 4;
  }
  target[offset + 1] = 127;
  target.writeBigUInt64BE(BigInt(length), offset + 2);
  return offset + 10;
}

/**
 * Events read from the log together (one read of a tenant's feed, or one catch-up read of a subscriber),
 * with their serialisations made once for every subscriber: the SSE messages and the WebSocket frames of
 * all the events, each in one buffer. Any run of consecutive events is then a slice of that buffer
 * ({@link sse}, {@link ws}), written as it is to every socket that wants it: nothing is serialised,
 * copied or allocated per subscriber. The envelopes are kept for filtering.
 */
export class EventChunk {
  readonly events: readonly EventEnvelope[];
  readonly positions: readonly EventPosition[];
  #sse: SseEncoded | undefined;
  #ws: Encoded | undefined;
  #sseDeflated: DeflatedSegment | undefined;

  /** @param items - events in log order */
  constructor(items: readonly PositionedEvent[]) {
    this.events = items.map((item) => item.event);
    this.positions = items.map((item) => item.position);
  }

  /** Events held. */
  get size(): number {
    return this.events.length;
  }

  /**
   * The SSE messages of events `from` to `to` (excluded), back to back: `id:` the position, `event:` the
   * type, `data:` the envelope as one line of JSON.
   */
  sse(from: number, to: number): Buffer {
    const { bytes, starts } = this.#encodedSse();
    return bytes.subarray(starts[from], starts[to]);
  }

  /**
   * The SSE messages of events `from` to `to`, compressed for a gzip stream. All the events of the chunk
   * (what a subscriber following the feed unfiltered writes) are compressed once for every subscriber; a
   * part of them is compressed for the caller alone.
   */
  sseDeflated(from: number, to: number): DeflatedSegment {
    if (from > 0 || to < this.events.length) return deflateSegment(this.sse(from, to));
    this.#sseDeflated ??= deflateSegment(this.sse(from, to));
    return this.#sseDeflated;
  }

  /**
   * The WebSocket frames (unmasked text, one per event) of events `from` to `to` (excluded), back to
   * back: `{"type":"event","position":…,"event":…}`.
   */
  ws(from: number, to: number): Buffer {
    const { bytes, starts } = this.#encodedWs();
    return bytes.subarray(starts[from], starts[to]);
  }

  /** The payloads (without frame headers) of the WebSocket messages of events `from` to `to`. */
  wsMessages(from: number, to: number): Buffer[] {
    const { bytes, starts } = this.#encodedWs();
    const messages: Buffer[] = [];
    for (let i = from; i < to; i++) {
      const start = starts[i] ?? 0;
      const end = starts[i + 1] ?? start;
      messages.push(bytes.subarray(start + headerLengthOfFrame(end - start), end));
    }
    return messages;
  }

  #encodedSse(): SseEncoded {
    if (this.#sse !== undefined) return this.#sse;
    const count = this.events.length;
    const starts = new Uint32Array(count + 1);
    const jsonStarts = new Uint32Array(count);
    const heads: string[] = new Array<string>(count);
    const jsons: string[] = new Array<string>(count);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const event = this.events[i] as EventEnvelope;
      const json = JSON.stringify(event);
      // The head is ASCII: a hex token and an event type (lower-case letters, digits, `.` and `_`).
      const head = `id: ${encodeEventPosition(this.positions[i] as EventPosition)}\nevent: ${event.eventType}\ndata: `;
      heads[i] = head;
      jsons[i] = json;
      starts[i] = offset;
      jsonStarts[i] = offset + head.length;
      offset += head.length + Buffer.byteLength(json) + 2;
    }
    starts[count] = offset;
    // Written piece by piece into one buffer of the exact size: joining the strings and encoding the
    // result measured 30 times slower.
    const bytes = Buffer.allocUnsafe(offset);
    for (let i = 0; i < count; i++) {
      const at = starts[i] ?? 0;
      bytes.write(heads[i] as string, at, 'latin1');
      const end = bytes.write(jsons[i] as string, jsonStarts[i] ?? 0, 'utf8') + (jsonStarts[i] ?? 0);
      bytes[end] = NEWLINE;
      bytes[end + 1] = NEWLINE;
    }
    this.#sse = { bytes, starts, jsonStarts };
    return this.#sse;
  }

  #encodedWs(): Encoded {
    if (this.#ws !== undefined) return this.#ws;
    const sse = this.#encodedSse();
    const count = this.events.length;
    const fixed = WS_PREFIX.length + TOKEN_LENGTH + WS_MIDDLE.length + 1;
    const starts = new Uint32Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const payload = fixed + this.#jsonLength(sse, i);
      starts[i] = total;
      total += frameHeaderLength(payload) + payload;
    }
    starts[count] = total;
    const bytes = Buffer.allocUnsafe(total);
    for (let i = 0; i < count; i++) {
      const json = sse.jsonStarts[i] ?? 0;
      const jsonLength = this.#jsonLength(sse, i);
      const message = sse.starts[i] ?? 0;
      let at = writeFrameHeader(bytes, starts[i] ?? 0, fixed + jsonLength);
      at += WS_PREFIX.copy(bytes, at);
      at += sse.bytes.copy(bytes, at, message + TOKEN_AT, message + TOKEN_AT + TOKEN_LENGTH);
      at += WS_MIDDLE.copy(bytes, at);
      at += sse.bytes.copy(bytes, at, json, json + jsonLength);
      bytes[at] = WS_SUFFIX;
    }
    this.#ws = { bytes, starts };
    return this.#ws;
  }

  #jsonLength(sse: SseEncoded, i: number): number {
    return (sse.starts[i + 1] ?? 0) - 2 - (sse.jsonStarts[i] ?? 0);
  }
}

/** Consecutive events of one chunk: `chunk`'s events `from` to `to` (excluded). */
export interface EventRun {
  readonly chunk: EventChunk;
  readonly from: number;
  readonly to: number;
}
