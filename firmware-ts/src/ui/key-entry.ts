/**
 * Keypad input of a 4x4 keypad: digits build a 20-digit STS token, '#' enters it, '*' deletes a
 * digit, 'C' clears; 'A' requests emergency credit, 'B' is the reconnect button, 'D' flips the
 * display page. Pure, on an injected clock: an entry left alone for `timeoutMs` is dropped.
 */
export const TOKEN_DIGITS = 20;

export type KeyAction =
  | { kind: 'none' }
  | { kind: 'submit'; digits: string }
  | { kind: 'incomplete' }
  | { kind: 'emergency' }
  | { kind: 'reconnect' }
  | { kind: 'page' };

export class KeyEntry {
  digits = '';
  private lastAt = 0;

  constructor(private readonly timeoutMs: number) {}

  get active(): boolean {
    return this.digits.length > 0;
  }

  press(key: string, now: number): KeyAction {
    this.expire(now);
    this.lastAt = now;
    if (/^[0-9]$/.test(key)) {
      if (this.digits.length < TOKEN_DIGITS) this.digits += key;
      return { kind: 'none' };
    }
    switch (key) {
      case '*':
        this.digits = this.digits.slice(0, -1);
        return { kind: 'none' };
      case 'C':
        this.digits = '';
        return { kind: 'none' };
      case '#': {
        const digits = this.digits;
        this.digits = '';
        return digits.length === TOKEN_DIGITS ? { kind: 'submit', digits } : { kind: 'incomplete' };
      }
      case 'A':
        return { kind: 'emergency' };
      case 'B':
        return { kind: 'reconnect' };
      case 'D':
        return { kind: 'page' };
    }
    return { kind: 'none' };
  }

  /** Drops an entry nobody finished. Returns true when it did. */
  expire(now: number): boolean {
    if (this.digits.length > 0 && now - this.lastAt >= this.timeoutMs) {
      this.digits = '';
      return true;
    }
    return false;
  }
}
