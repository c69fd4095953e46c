/**
 * The rows of `tableside analyze --rolling`, written as bytes into large buffers rather than built as strings.
 *
 * A 21-hour recording gives 80 000 rows of 19 fields: built as template strings and joined, the text took as long as
 * the engine that computed it (string pieces, joins and the garbage they leave). Here each field goes straight into
 * a buffer, and what does not change from one beat to the next is formatted once: the six spectral fields (a new
 * spectrum comes every 4 s of beat time, about every fifth beat) and the short words (kind, reason). The four
 * time-domain values, new at every beat and the costliest to write, are written for a whole buffer of rows at once by
 * one `JSON.stringify` of them (the same digits `String()` gives a finite number) and put in place when the buffer is
 * handed over. Numbers are written as `String(value)` writes them, so the bytes are those of the plain definition, one
 * row per beat:
 *
 *   seq,t_s,rr_ms,kind,mean_hr_bpm,rmssd_ms,ln_rmssd,sdnn_ms,hf_ms2,lf_ms2,lf_hf,hf_peak_hz,respiration_bpm,
 *   spectral_at_s,beats_in_window,corrected_pct,settling,too_irregular,reason
 *
 * with `String(v)` for every number (t_s rounded to the µs first), '' for null, and the reason (or else the spectral
 * reason) quoted when it holds a comma.
 */
import type { LiveMetrics } from '../hrv/rolling.js';

export const CSV_HEADER =
  'seq,t_s,rr_ms,kind,mean_hr_bpm,rmssd_ms,ln_rmssd,sdnn_ms,hf_ms2,lf_ms2,lf_hf,hf_peak_hz,respiration_bpm,' +
  'spectral_at_s,beats_in_window,corrected_pct,settling,too_irregular,reason\n';

/** Bytes gathered before they are handed to the stream. */
const CHUNK_BYTES = 1 << 18;
/** Room kept free for one row; a row that could be longer (a long reason) is checked field by field. */
const ROW_RESERVE = 1024;
/** Distinct words kept encoded (kinds and reasons: a few hundred at most in practice). */
const MAX_WORDS = 4096;

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
/** Integers below this are written digit by digit; String() writes them the same way (no exponent below 1e21). */
const PLAIN_INTEGER_LIMIT = 1e15;

const encoder = new TextEncoder();

/** Time-domain values per row, written together at each hand-over (see `#deferred`). */
const DEFERRED_PER_ROW = 4;
/** Rows per hand-over at most (a row takes 60–170 bytes: the byte limit usually comes first). */
const MAX_ROWS = 8192;
/** The longest `String()` of a number JSON writes as null: "-Infinity". */
const EXOTIC_MAX_LENGTH = 9;

/**
 * Receives the filled bytes. The view is only valid during the call (the buffer is reused afterwards), so the sink
 * must copy it or finish with it before returning or resolving.
 */
export type ByteSink = (bytes: Uint8Array) => void | Promise<void>;

export class RollingCsvWriter {
  readonly #sink: ByteSink;
  #buffer = new Uint8Array(CHUNK_BYTES);
  #length = 0;
  readonly #words = new Map<string, Uint8Array>();
  /** the spectral fields of the previous row, and their bytes (",hf,lf,lf_hf,peak,respiration,at") */
  #spectralKey: (number | null)[] = [Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN];
  #spectralBytes = new Uint8Array(0);
  /**
   * The four time-domain values of the buffered rows (meanHrBpm, rmssdMs, lnRmssd, sdnnMs), and where each row's go in
   * `#buffer`: one `JSON.stringify` writes them all at the hand-over. Null is written by JSON as `null` (nothing goes
   * in the row); a number JSON cannot write (NaN, ±Infinity) is kept in `#exotic` with its `String()` text.
   */
  readonly #deferred: number[] = [];
  readonly #at = new Int32Array(MAX_ROWS);
  #rows = 0;
  readonly #exotic = new Map<number, string>();
  #out = new Uint8Array(CHUNK_BYTES * 2);

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  header(): void {
    this.#text(CSV_HEADER);
  }

  /** Adds one row; returns a promise (to await) when a full buffer went to the sink, else undefined. */
  row(m: LiveMetrics): Promise<void> | undefined {
    const q = m.quality;
    this.#integerOrNumber(m.seq);
    this.#byte(COMMA);
    this.#microseconds(m.tS);
    this.#byte(COMMA);
    this.#integerOrNumber(m.rrMs);
    this.#byte(COMMA);
    this.#word(m.kind);
    this.#byte(COMMA);
    // ",,," now; the four values go before, between and after those commas at the hand-over
    const row = this.#rows++;
    this.#at[row] = this.#length;
    this.#defer(row * DEFERRED_PER_ROW, m.meanHrBpm);
    this.#defer(row * DEFERRED_PER_ROW + 1, m.rmssdMs);
    this.#defer(row * DEFERRED_PER_ROW + 2, m.lnRmssd);
    this.#defer(row * DEFERRED_PER_ROW + 3, m.sdnnMs);
    this.#byte(COMMA);
    this.#byte(COMMA);
    this.#byte(COMMA);
    this.#spectral(m);
    this.#byte(COMMA);
    this.#integerOrNumber(q.beatsInWindow);
    this.#byte(COMMA);
    this.#integerOrNumber(q.correctedPct);
    this.#byte(COMMA);
    this.#word(q.settling ? 'true' : 'false');
    this.#byte(COMMA);
    this.#word(q.tooIrregular ? 'true' : 'false');
    this.#byte(COMMA);
    const reason = q.reason ?? q.spectralReason ?? '';
    if (reason !== '') this.#word(reason);
    this.#byte(NEWLINE);
    return this.#length > CHUNK_BYTES - ROW_RESERVE || this.#rows === MAX_ROWS ? this.flush() : undefined;
  }

  /** Hands what is buffered to the sink. */
  async flush(): Promise<void> {
    if (this.#length === 0) return;
    const filled = this.#rows === 0 ? this.#buffer.subarray(0, this.#length) : this.#withDeferred();
    this.#length = 0;
    this.#rows = 0;
    this.#exotic.clear();
    await this.#sink(filled);
  }

  #defer(index: number, v: number | null): void {
    if (v === null) {
      this.#deferred[index] = Number.NaN; // JSON: null
    } else if (Number.isFinite(v)) {
      this.#deferred[index] = v;
    } else {
      this.#deferred[index] = Number.NaN;
      this.#exotic.set(index, String(v));
    }
  }

  /**
   * The buffered rows with their deferred values in place: one JSON text of all the values (`[a,b,null,…]`, the digits
   * of `String()` for every finite number), cut at its commas into the rows' gaps.
   */
  #withDeferred(): Uint8Array {
    const json = JSON.stringify(this.#deferred);
    this.#deferred.length = 0;
    const need = this.#length + json.length + EXOTIC_MAX_LENGTH * this.#exotic.size;
    if (need > this.#out.length) this.#out = new Uint8Array(Math.max(need, this.#out.length * 2));
    const out = this.#out;
    const buffer = this.#buffer;
    const at = this.#at;
    const exotic = this.#exotic;
    let length = 0;
    let from = 0;
    let j = 1; // after '['
    for (let row = 0; row < this.#rows; row++) {
      const gap = at[row] as number;
      out.set(buffer.subarray(from, gap), length);
      length += gap - from;
      from = gap;
      for (let k = 0; k < DEFERRED_PER_ROW; k++) {
        if (k > 0) out[length++] = buffer[from++] as number; // the comma between two values
        let code = json.charCodeAt(j);
        if (code === 0x6e) {
          // "null": nothing, or the text of a number JSON cannot write
          j += 4;
          const text = exotic.size === 0 ? undefined : exotic.get(row * DEFERRED_PER_ROW + k);
          if (text !== undefined) for (let c = 0; c < text.length; c++) out[length++] = text.charCodeAt(c);
        } else {
          while (code !== COMMA && code !== 0x5d) {
            out[length++] = code;
            code = json.charCodeAt(++j);
          }
        }
        j++; // the ',' (or the final ']')
      }
    }
    out.set(buffer.subarray(from, this.#length), length);
    length += this.#length - from;
    return out.subarray(0, length);
  }

  /** ",hf,lf,lf_hf,peak,respiration,at": formatted again only when one of the six values changed. */
  #spectral(m: LiveMetrics): void {
    const key = this.#spectralKey;
    if (
      m.hfMs2 !== key[0] ||
      m.lfMs2 !== key[1] ||
      m.lfHfRatio !== key[2] ||
      m.hfPeakHz !== key[3] ||
      m.respirationRateBpm !== key[4] ||
      m.spectralAtS !== key[5]
    ) {
      const start = this.#length;
      for (const v of [m.hfMs2, m.lfMs2, m.lfHfRatio, m.hfPeakHz, m.respirationRateBpm, m.spectralAtS]) {
        this.#byte(COMMA);
        if (v !== null) this.#integerOrNumber(v);
      }
      this.#spectralKey = [m.hfMs2, m.lfMs2, m.lfHfRatio, m.hfPeakHz, m.respirationRateBpm, m.spectralAtS];
      this.#spectralBytes = this.#buffer.slice(start, this.#length);
      return;
    }
    this.#bytes(this.#spectralBytes);
  }

  #integerOrNumber(v: number): void {
    if (Number.isInteger(v) && v < PLAIN_INTEGER_LIMIT && v > -PLAIN_INTEGER_LIMIT) this.#integer(v);
    else this.#number(v);
  }

  /** A whole number below 1e15 in magnitude, as String() writes it (-0 as "0"). */
  #integer(v: number): void {
    this.#room(17);
    const buffer = this.#buffer;
    let n = v;
    if (n < 0) {
      buffer[this.#length++] = MINUS;
      n = -n;
    }
    if (n === 0) {
      buffer[this.#length++] = DIGIT_0;
      return;
    }
    let digits = 0;
    for (let rest = n; rest >= 1; rest = Math.floor(rest / 10)) digits++;
    let at = this.#length + digits;
    this.#length = at;
    while (n >= 1) {
      const next = Math.floor(n / 10);
      buffer[--at] = DIGIT_0 + (n - next * 10);
      n = next;
    }
  }

  /**
   * `String(Math.round(tS * 1e6) / 1e6)` without the conversion: r = round(tS·10⁶) written as a decimal with six
   * places, trailing zeros dropped. That decimal is exact, and for r below 1e15 (beat times below 1e9 s) it is also
   * the shortest that reads back as r / 1e6: the double's spacing there (< 1.2e-7) is finer than the last place
   * (1e-6), so no decimal with fewer digits lies within half a spacing of it. Anything else goes through String().
   */
  #microseconds(tS: number): void {
    const r = Math.round(tS * 1e6);
    if (!(r >= 0 && r < PLAIN_INTEGER_LIMIT)) {
      this.#number(r / 1e6);
      return;
    }
    const whole = Math.floor(r / 1e6);
    let fraction = r - whole * 1e6;
    this.#integer(whole);
    if (fraction === 0) return;
    let places = 6;
    while (fraction % 10 === 0) {
      fraction /= 10;
      places--;
    }
    this.#room(7);
    const buffer = this.#buffer;
    buffer[this.#length] = DOT;
    let at = this.#length + places;
    this.#length = at + 1;
    for (let k = 0; k < places; k++) {
      const next = Math.floor(fraction / 10);
      buffer[at--] = DIGIT_0 + (fraction - next * 10);
      fraction = next;
    }
  }

  /** Any number, as String() writes it: digits, '.', 'e', '+', '-', or "NaN" / "Infinity" (all ASCII). */
  #number(v: number): void {
    const text = String(v);
    this.#room(text.length);
    const buffer = this.#buffer;
    let at = this.#length;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.#length = at;
  }

  /** A word (kind, true/false, reason) as UTF-8, in quotes when it holds a comma; encoded once per distinct word. */
  #word(text: string): void {
    let bytes = this.#words.get(text);
    if (bytes === undefined) {
      bytes = encoder.encode(text.includes(',') ? `"${text}"` : text);
      if (this.#words.size >= MAX_WORDS) this.#words.clear();
      this.#words.set(text, bytes);
    }
    this.#bytes(bytes);
  }

  #text(text: string): void {
    this.#bytes(encoder.encode(text));
  }

  #bytes(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  #byte(b: number): void {
    this.#room(1);
    this.#buffer[this.#length++] = b;
  }

  /** Grows the buffer when `n` more bytes would not fit (a row longer than the reserve: only a very long reason). */
  #room(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + n));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}
