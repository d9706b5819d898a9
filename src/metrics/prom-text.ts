// Prometheus text exposition (format 0.0.4) and OpenMetrics 1.0 parser. Pure; a hand-written scanner
// (one pass over the page, no regular expressions): 100k series take a fraction of a second.
// Accepts what the three exporters we meet print (research note §1.4, §8):
//  - Python prometheus_client (vLLM): `32.0`, `1.234567e+06`, `_created` gauge families, sorted labels;
//  - Go client_golang (llm-d-inference-sim): `123`, no `_created`;
//  - prom-client (the embedded stack): `le` first, blank lines between families.
// Like Prometheus itself, a malformed line fails the whole exposition: a half-read page is worse than none.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** As written: milliseconds in text format 0.0.4, seconds in OpenMetrics. */
  timestamp?: number;
}

export interface Exposition {
  samples: Sample[];
  /** Family name → declared type (`# TYPE`). */
  types: Map<string, string>;
  /** Family name → help text, unescaped (`# HELP`). */
  help: Map<string, string>;
}

export class ExpositionError extends Error {
  constructor(line: number, message: string) {
    super(`metrics line ${line}: ${message}`);
    this.name = 'ExpositionError';
  }
}

// A Map, not an object literal: a value token like `constructor` must not find Object.prototype's.
const SPECIAL_VALUES = new Map<string, number>([
  ['nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
]);

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58; // a-z A-Z _ :
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Go's strconv.ParseFloat as Prometheus uses it: decimal, exponent, NaN, ±Inf (any case). */
export function parseFloatToken(token: string): number | undefined {
  if (token === '') return undefined;
  const last = token.charCodeAt(token.length - 1);
  // Number() would also accept '0x1f', ' 1', 'Infinity': keep to what the exposition grammar allows.
  // A decimal ends in a digit or a dot; NaN and Inf end in letters.
  if ((last >= 48 && last <= 57) || last === 46) {
    const c = token.charCodeAt(0);
    if (!(c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57))) return undefined;
    if (token.length > 1 && (token.charCodeAt(1) | 32) === 120) return undefined; // 0x…
    const n = Number(token);
    return Number.isNaN(n) ? undefined : n;
  }
  return SPECIAL_VALUES.get(token.toLowerCase());
}

/** Undo the escapes of a label value (`\\`, `\"`, `\n`) or of a HELP text (`\\`, `\n`). */
function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      const next = s[++i];
      out += next === 'n' ? '\n' : next;
    } else {
      out += ch;
    }
  }
  return out;
}

function failAt(lineNo: number, line: string, what: string): never {
  throw new ExpositionError(
    lineNo,
    `${what} in ${JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)}`,
  );
}

/**
 * The scanner works on absolute positions in the whole page: charCodeAt on the flat page string is 3x
 * faster than on per-line slices, and closing quotes are found with indexOf (native, vectorised).
 */
class Scanner {
  private readonly text: string;
  /** Position of the next backslash at or after the current line (text.length when none): escapes are rare. */
  private nextBackslash = -1;
  lineNo = 0;

  constructor(text: string) {
    this.text = text;
  }

  private fail(from: number, end: number, what: string): never {
    return failAt(this.lineNo, this.text.slice(from, end), what);
  }

  private backslashFrom(pos: number): number {
    if (this.nextBackslash < pos && this.nextBackslash !== this.text.length) {
      const b = this.text.indexOf('\\', pos);
      this.nextBackslash = b === -1 ? this.text.length : b;
    }
    return this.nextBackslash;
  }

  /** A double-quoted string opening at `open`; returns the unescaped text and sets `end` past the quote. */
  private quoted(open: number, lineEnd: number, from: number): string {
    const close = this.text.indexOf('"', open + 1);
    if (close !== -1 && close < lineEnd && this.backslashFrom(open) > close) {
      this.end = close + 1;
      return this.text.slice(open + 1, close);
    }
    let i = open + 1;
    for (; i < lineEnd; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 92) i++;
      else if (c === 34) {
        this.end = i + 1;
        return unescape(this.text.slice(open + 1, i));
      }
    }
    return this.fail(from, lineEnd, 'unterminated quoted string');
  }

  end = 0;

  /** One sample line text[from, lineEnd), `from` at its first non-blank character. */
  sample(from: number, lineEnd: number): Sample {
    const t = this.text;
    let i = from;
    let name = '';
    // A plain object: null-prototype ones start in V8's slow dictionary mode. Label names are identifiers,
    // so `__proto__` is the only hazard, and defineProperty below covers it.
    const labels: Record<string, string> = {};
    if (isNameStart(t.charCodeAt(i))) {
      while (i < lineEnd && isNameChar(t.charCodeAt(i))) i++;
      name = t.slice(from, i);
    } else if (t.charCodeAt(i) !== 123) {
      this.fail(from, lineEnd, 'expected a metric name');
    }
    if (i < lineEnd && t.charCodeAt(i) === 123) {
      // '{' label set. Prometheus 3 also allows a quoted metric name as its first item: {"a.b", x="1"}.
      i++;
      for (;;) {
        while (i < lineEnd && isBlank(t.charCodeAt(i))) i++;
        if (i >= lineEnd) this.fail(from, lineEnd, 'unterminated label set');
        if (t.charCodeAt(i) === 125) {
          i++;
          break;
        }
        let key: string;
        if (t.charCodeAt(i) === 34) {
          key = this.quoted(i, lineEnd, from);
          i = this.end;
        } else {
          const start = i;
          while (i < lineEnd && isNameChar(t.charCodeAt(i))) i++;
          if (i === start) this.fail(from, lineEnd, 'expected a label name');
          key = t.slice(start, i);
        }
        while (i < lineEnd && isBlank(t.charCodeAt(i))) i++;
        if (t.charCodeAt(i) === 61 && i < lineEnd) {
          i++;
          while (i < lineEnd && isBlank(t.charCodeAt(i))) i++;
          if (t.charCodeAt(i) !== 34 || i >= lineEnd) this.fail(from, lineEnd, `expected '"' after ${key}=`);
          const value = this.quoted(i, lineEnd, from);
          if (key === '__proto__')
            Object.defineProperty(labels, key, {
              value,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          else labels[key] = value;
          i = this.end;
        } else if (name === '') {
          name = key; // the quoted metric name
        } else {
          this.fail(from, lineEnd, `expected '=' after label ${key}`);
        }
        while (i < lineEnd && isBlank(t.charCodeAt(i))) i++;
        const c = i < lineEnd ? t.charCodeAt(i) : -1;
        if (c === 44) i++;
        else if (c !== 125) this.fail(from, lineEnd, "expected ',' or '}' in the label set");
      }
    }
    if (name === '') this.fail(from, lineEnd, 'expected a metric name');
    if (i >= lineEnd || !isBlank(t.charCodeAt(i)))
      this.fail(from, lineEnd, 'expected a space before the value');
    while (i < lineEnd && isBlank(t.charCodeAt(i))) i++;
    let start = i;
    while (i < lineEnd && !isBlank(t.charCodeAt(i))) i++;
    const value = parseFloatToken(t.slice(start, i));
    if (value === undefined) this.fail(from, lineEnd, `bad value ${JSON.stringify(t.slice(start, i))}`);
    const sample: Sample = { name, labels, value: value as number };
    while (i < lineEnd && isBlank(t.charCodeAt(i))) i++;
    // OpenMetrics exemplars (` # {trace_id="…"} 1`) follow the value or timestamp: ignored.
    if (i < lineEnd && t.charCodeAt(i) !== 35) {
      start = i;
      while (i < lineEnd && !isBlank(t.charCodeAt(i))) i++;
      const ts = parseFloatToken(t.slice(start, i));
      if (ts === undefined || !Number.isFinite(ts))
        this.fail(from, lineEnd, `bad timestamp ${JSON.stringify(t.slice(start, i))}`);
      sample.timestamp = ts as number;
      while (i < lineEnd && isBlank(t.charCodeAt(i))) i++;
      if (i < lineEnd && t.charCodeAt(i) !== 35)
        this.fail(from, lineEnd, 'unexpected text after the timestamp');
    }
    return sample;
  }
}

function parseComment(line: string, exp: Exposition, lineNo: number): 'eof' | undefined {
  // '#' then blanks then a keyword; anything else is a plain comment.
  let i = 1;
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  const rest = line.slice(i);
  if (rest === 'EOF') return 'eof';
  const keyword = rest.startsWith('HELP ') ? 'HELP' : rest.startsWith('TYPE ') ? 'TYPE' : undefined;
  if (!keyword) return undefined;
  let j = 5;
  while (j < rest.length && isBlank(rest.charCodeAt(j))) j++;
  const nameStart = j;
  while (j < rest.length && !isBlank(rest.charCodeAt(j))) j++;
  const family = rest.slice(nameStart, j);
  if (family === '') throw new ExpositionError(lineNo, `# ${keyword} without a metric name`);
  while (j < rest.length && isBlank(rest.charCodeAt(j))) j++;
  const text = rest.slice(j);
  if (keyword === 'HELP') exp.help.set(family, unescape(text));
  else exp.types.set(family, text.trim().toLowerCase());
  return undefined;
}

export function parseExposition(text: string): Exposition {
  const exp: Exposition = { samples: [], types: new Map(), help: new Map() };
  const scanner = new Scanner(text);
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const next = end + 1;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--; // CRLF
    scanner.lineNo++;
    while (pos < end && isBlank(text.charCodeAt(pos))) pos++;
    if (pos < end) {
      if (text.charCodeAt(pos) === 35) {
        if (parseComment(text.slice(pos, end), exp, scanner.lineNo) === 'eof') break;
      } else {
        exp.samples.push(scanner.sample(pos, end));
      }
    }
    pos = next;
  }
  return exp;
}
