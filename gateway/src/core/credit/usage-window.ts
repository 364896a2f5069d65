/**
 * Consumption charged per local day over the last days, for "days of credit left" (a 7-day average,
 * as prepaid meters show it). Kept in memory and rebuilt from the ledger on start.
 */
export class UsageWindow {
  private readonly days = new Map<string, number>();

  constructor(private readonly keep = 7) {}

  add(day: string, amount: number): void {
    this.days.set(day, (this.days.get(day) ?? 0) + amount);
    if (this.days.size > this.keep + 1) {
      const sorted = [...this.days.keys()].sort();
      for (const d of sorted.slice(0, sorted.length - this.keep - 1)) this.days.delete(d);
    }
  }

  /** Sub-units charged on each of the last `keep` complete days before `today` (missing days count 0 once seen); `plus` counts as if added. */
  lastDays(today: string, plus?: { day: string; amount: number }): number[] {
    const past: Array<[string, number]> = [];
    for (const [d, v] of this.days) if (d < today) past.push([d, plus && plus.day === d ? v + plus.amount : v]);
    if (plus && plus.day < today && !this.days.has(plus.day)) past.push([plus.day, plus.amount]);
    past.sort(([a], [b]) => (a < b ? -1 : 1));
    return past.slice(-this.keep).map(([, v]) => v);
  }
}
