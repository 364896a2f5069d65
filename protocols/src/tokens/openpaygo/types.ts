export type OpenPaygoTokenType = 'ADD_TIME' | 'SET_TIME' | 'DISABLE_PAYG' | 'COUNTER_SYNC';

/** 16-byte SipHash key: bytes (a Buffer works) or 32 hex characters. */
export type OpenPaygoKey = Uint8Array | string;

export interface OpenPaygoEncodeInput {
  key: OpenPaygoKey;
  /** The device's 9-digit starting code (0 ..= 999 999 999). */
  startingCode: number;
  /** Last count used for this device on the server. */
  count: number;
  type: OpenPaygoTokenType;
  /** Days, required for ADD_TIME / SET_TIME; must be absent for DISABLE_PAYG / COUNTER_SYNC. */
  value?: number;
  /** Digits 1-4 only, for 4-key keypads (15 or 20 digits). Default false. */
  restrictedDigitSet?: boolean;
  /** 12-digit token carrying up to 999 999 days. Default false. */
  extended?: boolean;
}

export interface OpenPaygoEncoded {
  token: string;
  /** Count the server must store; the device moves to it when it accepts the token. */
  newCount: number;
}

/** Device-side token state: plain data the firmware or gateway persists between decodes. */
export interface OpenPaygoDeviceState {
  lastCount: number;
  /** Counts of recent tokens already applied (within MAX_UNUSED_OLDER_TOKENS of lastCount). */
  usedCounts?: readonly number[];
}

export interface OpenPaygoDecodeOptions extends OpenPaygoDeviceState {
  key: OpenPaygoKey;
  startingCode: number;
  /** Default: inferred from the token length (15 or 20 digits means restricted). */
  restrictedDigitSet?: boolean;
  /** Default: inferred from the token length (12 or 20 digits means extended). */
  extended?: boolean;
}

export interface OpenPaygoDecoded {
  type: OpenPaygoTokenType;
  /** Days for ADD_TIME / SET_TIME; null for DISABLE_PAYG / COUNTER_SYNC. */
  value: number | null;
  /** Count the token was generated for. */
  count: number;
  /** New device state: persist both fields and pass them to the next decode. */
  lastCount: number;
  usedCounts: number[];
}

/** Why a well-formed token was refused (PrepaidError E_TOKEN_CRC, `context.reason`). */
export type OpenPaygoRejectReason = 'invalid' | 'already-used' | 'too-old';
