/**
 * Incremental Server-Sent Events parser (WHATWG HTML §9.2.6): bytes may be split anywhere, including inside a
 * UTF-8 sequence or between CR and LF. Lines end in CRLF, LF or CR; "data" lines join with "\n"; comments and
 * unknown fields are ignored; an event is dispatched on a blank line when it has data.
 */

export interface SseEvent {
  /** "message" when the stream gave no event name. */
  readonly event: string;
  readonly data: string;
  readonly id: string | null;
}

/** An event larger than this is dropped (counted in `dropped`): bounds memory on hostile streams. */
const MAX_EVENT_CHARS = 32 * 1024 * 1024;

export class SseParser {
  /** Bytes of a line not yet terminated (kept as bytes so a UTF-8 sequence split across pushes stays whole). */
  private partial: Buffer[] = [];
  private partialLen = 0;
  private afterCR = false;
  private eventName = '';
  private data: string[] = [];
  private dataChars = 0;
  private lastId: string | null = null;
  private first = true;
  private oversize = false;
  /** Events dropped because they exceeded the size limit. */
  dropped = 0;

  constructor(private readonly onEvent: (ev: SseEvent) => void) {}

  push(bytes: Uint8Array): void {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const n = b.length;
    let i = 0;
    if (this.afterCR && n > 0) {
      // The previous push ended in CR: an LF here completes the same CRLF.
      if (b[0] === 10) i = 1;
      this.afterCR = false;
    }
    let start = i;
    // memchr-speed scans: LF via indexOf, and CR only while one is still ahead (most streams have none).
    let cr = b.indexOf(13, i);
    while (i < n) {
      let lf = b.indexOf(10, i);
      if (lf < 0) lf = n;
      if (cr >= 0 && cr < i) cr = b.indexOf(13, i);
      const end = cr >= 0 && cr < lf ? cr : lf;
      if (end >= n) break;
      this.endLine(b, start, end);
      i = end + 1;
      if (end === cr) {
        if (i < n) {
          if (b[i] === 10) i++;
        } else this.afterCR = true;
      }
      start = i;
    }
    if (start < n) {
      if (this.partialLen + (n - start) > MAX_EVENT_CHARS) {
        this.oversize = true;
        this.partial = [];
        this.partialLen = 0;
      } else {
        // Copy: the caller may reuse its buffer.
        this.partial.push(Buffer.from(b.subarray(start, n)));
        this.partialLen += n - start;
      }
    }
  }

  /** End of stream: a final event without its blank line is not dispatched (per spec), but a pending line is processed. */
  end(): void {
    if (this.partialLen > 0) {
      const line = Buffer.concat(this.partial, this.partialLen).toString('utf8');
      this.partial = [];
      this.partialLen = 0;
      this.processLine(line);
    }
  }

  /** true when the parser holds a partial event (data received but no terminating blank line yet). */
  get pending(): boolean {
    return this.data.length > 0 || this.partialLen > 0;
  }

  private endLine(b: Buffer, start: number, end: number): void {
    let line: string;
    if (this.partialLen === 0) line = b.toString('utf8', start, end);
    else {
      this.partial.push(b.subarray(start, end));
      line = Buffer.concat(this.partial, this.partialLen + (end - start)).toString('utf8');
      this.partial = [];
      this.partialLen = 0;
    }
    this.processLine(line);
  }

  private processLine(l: string): void {
    if (this.first) {
      this.first = false;
      if (l.charCodeAt(0) === 0xfeff) l = l.slice(1);
    }
    if (l === '') {
      this.dispatch();
      return;
    }
    if (l.charCodeAt(0) === 58) return; // ':' comment
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.dataChars += value.length + 1;
        if (this.dataChars > MAX_EVENT_CHARS) this.oversize = true;
        else this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // 'retry' and unknown fields do not affect what we record.
        break;
    }
  }

  private dispatch(): void {
    const name = this.eventName;
    const data = this.data;
    const oversize = this.oversize;
    this.eventName = '';
    this.data = [];
    this.dataChars = 0;
    this.oversize = false;
    if (oversize) {
      this.dropped++;
      return;
    }
    if (data.length === 0) return;
    this.onEvent({ event: name === '' ? 'message' : name, data: data.length === 1 ? data[0]! : data.join('\n'), id: this.lastId });
  }
}
