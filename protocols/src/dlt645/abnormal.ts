/** Abnormal replies (control D6 set): the meter refused, and says why in one error byte. */
import { PrepaidError } from '../errors.js';
import { DLT645_ERROR_DESCRIPTIONS, DLT645_FUNCTION_NAMES, dlt645ErrorNames, type Dlt645ErrorName } from './constants.js';

export interface Dlt645Abnormal {
  ok: false;
  functionCode: number;
  /** The ERR byte, kept as the number the meter sent. */
  errorByte: number;
  /** Names of the bits set in errorByte. */
  errors: Dlt645ErrorName[];
}

export function dlt645AbnormalReply(functionCode: number, errorByte: number): Dlt645Abnormal {
  return { ok: false, functionCode, errorByte, errors: dlt645ErrorNames(errorByte) };
}

/** E_DLT645_ERROR for callers that turn an abnormal reply into a failure. */
export class Dlt645AbnormalError extends PrepaidError {
  readonly functionCode: number;
  readonly errorByte: number;
  readonly errors: Dlt645ErrorName[];
  constructor(a: Dlt645Abnormal) {
    const what = DLT645_FUNCTION_NAMES[a.functionCode] ?? `function 0x${a.functionCode.toString(16)}`;
    const why = a.errors.map((e) => DLT645_ERROR_DESCRIPTIONS[e]).join(', ') || 'no error bit set';
    super('E_DLT645_ERROR', `meter refused ${what}: ${why} (ERR 0x${a.errorByte.toString(16).padStart(2, '0')})`, {
      functionCode: a.functionCode,
      errorByte: a.errorByte,
      errors: a.errors,
    });
    this.functionCode = a.functionCode;
    this.errorByte = a.errorByte;
    this.errors = a.errors;
  }
}

/** The normal reply, or throw Dlt645AbnormalError. */
export function expectNormalReply<T extends { ok: true }>(reply: T | Dlt645Abnormal): T {
  if (!reply.ok) throw new Dlt645AbnormalError(reply);
  return reply;
}
