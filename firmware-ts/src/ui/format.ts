/** Integer-only number formatting for the display and console (no floats near money or energy). */

/** 12345 with 2 decimals -> "123.45"; -5 -> "-0.05". */
export function formatMinor(value: number, decimals: number): string {
  const neg = value < 0;
  const digits = String(Math.abs(Math.trunc(value))).padStart(decimals + 1, '0');
  const whole = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return neg ? `-${whole}` : whole;
}

/** Wh -> kWh with `decimals` places, truncated (a display never shows energy not yet used). */
export function formatKwh(wh: number, decimals: number): string {
  const scaled = Math.floor(wh / 10 ** (3 - decimals));
  return formatMinor(scaled, decimals);
}
