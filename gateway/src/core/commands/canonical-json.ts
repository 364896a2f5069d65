/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes a command signature covers.
 *
 * - Object members sorted by their names' UTF-16 code units (section 3.2.3), no whitespace.
 * - Numbers as ECMAScript writes them (section 3.2.2.3), which is what JSON.stringify does for
 *   finite numbers (-0 becomes 0); NaN and ±Infinity are refused.
 * - Strings escaped as JSON.stringify does (section 3.2.2.2): only `"`, `\` and U+0000..U+001F are
 *   escaped, with \b \t \n \f \r or lowercase \u00xx. Lone surrogates are refused (I-JSON).
 * - Anything JSON cannot carry (undefined, functions, bigint, Dates, Maps, class instances) is
 *   refused rather than silently dropped or converted, so signer and verifier cannot disagree.
 */
import { PrepaidError } from '@prepaid-edge/protocols';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Far beyond any command; keeps hostile input from exhausting the stack. */
export const MAX_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The RFC 8785 canonical text of `value`; throws E_COMMAND_MALFORMED naming the path of a value JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  return write(value, '', 0);
}

/** Sort order of RFC 8785 section 3.2.3: UTF-16 code units, not code points or locale. */
export function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function write(v: unknown, path: string, depth: number): string {
  if (v === null || v === true || v === false) return String(v);
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) throw refuse(path, `${v} is not a JSON number`);
      return JSON.stringify(v);
    case 'string':
      return writeString(v, path);
    case 'object':
      if (depth >= MAX_DEPTH) throw refuse(path, `nested deeper than ${MAX_DEPTH} levels`);
      // Array.from visits holes (as undefined, refused below); map would skip them and write `[1,,3]`.
      if (Array.isArray(v)) return `[${Array.from(v, (item, i) => write(item, `${path}[${i}]`, depth + 1)).join(',')}]`;
      return writeObject(v as object, path, depth);
    default:
      throw refuse(path, v === undefined ? 'undefined is not JSON' : `a ${typeof v} is not JSON`);
  }
}

function writeObject(o: object, path: string, depth: number): string {
  const proto = Object.getPrototypeOf(o) as unknown;
  if (proto !== Object.prototype && proto !== null) throw refuse(path, `a ${o.constructor?.name ?? 'non-plain'} object is not JSON`);
  if (Object.getOwnPropertySymbols(o).length > 0) throw refuse(path, 'symbol keys are not JSON');
  const rec = o as Record<string, unknown>;
  const members = Object.keys(rec)
    .sort(compareUtf16)
    .map((k) => {
      const child = path ? `${path}.${k}` : k;
      if (rec[k] === undefined) throw refuse(child, 'undefined is not JSON');
      return `${writeString(k, child)}:${write(rec[k], child, depth + 1)}`;
    });
  return `{${members.join(',')}}`;
}

function writeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw refuse(path, 'string holds a lone UTF-16 surrogate');
  return JSON.stringify(s);
}

function refuse(path: string, why: string): PrepaidError {
  return new PrepaidError('E_COMMAND_MALFORMED', `${path || 'value'}: ${why}`, { path });
}
