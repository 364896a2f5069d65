/**
 * "Days of credit left" as meters show it: balance over the average daily use of the last 7 days
 * (fewer if that is all there is), rounded down. null when there is no usage to average;
 * 0 when the balance is not positive. Negative day values (corrections) count as 0.
 */
export function daysOfCreditLeft(balance: number, dailyUsage: readonly number[]): number | null {
  const days = dailyUsage.slice(-7).map((d) => Math.max(0, d));
  const total = days.reduce((a, b) => a + b, 0);
  if (days.length === 0 || total <= 0) return null;
  if (balance <= 0) return 0;
  return Math.floor((balance * days.length) / total);
}
