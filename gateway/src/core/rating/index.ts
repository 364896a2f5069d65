export * from './types.js';
export { newFacts, foldEntry, foldAudit, foldAll, advance, dailyCharges, monthlyUse, utcDay, DAY_MS, USAGE_DAYS, RATED_ACTIONS } from './facts.js';
export { scoreFacts, factsAt, halfLifeMs } from './score.js';
export { gradeOf, type GradeInput } from './grade.js';
export { rate, explain } from './rate.js';
export { balanceReminders, topUpReceipt, disconnectNotice, initialReminderState, type ReminderView } from './reminders.js';
export { render, formatAmount, formatInstant, type Templates } from './render.js';
export { parseRating } from './parse-rating.js';
