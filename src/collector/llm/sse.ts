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
  private readonly decoder = new TextDecoder('utf-8');
  private line = '';
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
    this.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /** End of stream: a final event without its blank line is not dispatched (per spec), but a pending line is processed. */
  end(): void {
    this.feed(this.decoder.decode());
    if (this.line !== '') {
      this.processLine(this.line);
      this.line = '';
    }
  }

  /** true when the parser holds a partial event (data received but no terminating blank line yet). */
  get pending(): boolean {
    return this.data.length > 0 || this.line !== '';
  }

  private feed(text: string): void {
    if (text === '') return;
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        if (this.afterCR && i === start) {
          // LF completing a CRLF split across pushes or right after a CR: already handled.
          this.afterCR = false;
          start = i + 1;
          continue;
        }
        this.afterCR = false;
        this.endLine(text, start, i);
        start = i + 1;
      } else if (c === 13) {
        this.endLine(text, start, i);
        start = i + 1;
        this.afterCR = true;
        if (text.charCodeAt(i + 1) === 10) {
          i++;
          start = i + 1;
          this.afterCR = false;
        }
      } else if (this.afterCR) {
        this.afterCR = false;
      }
    }
    if (start < text.length) {
      this.afterCR = false;
      if (this.line.length + (text.length - start) > MAX_EVENT_CHARS) {
        this.oversize = true;
        this.line = '';
      } else this.line += text.slice(start);
    }
  }

  private endLine(text: string, start: number, end: number): void {
    const l = this.line === '' ? text.slice(start, end) : this.line + text.slice(start, end);
    this.line = '';
    this.processLine(l);
  }

  private processLine(l: string): void {
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
    this.onEvent({ event: name === '' ? 'message' : name, data: data.join('\n'), id: this.lastId });
  }
}
