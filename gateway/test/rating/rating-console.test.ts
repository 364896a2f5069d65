/** The web console's meter table carries each meter's credit rating (score, class, band, factors with points). */
import test from 'ava';
import { API_TOKEN, fakeHost, http, startFakeConsole } from '../web/helpers.js';
import type { Rating } from '../../src/core/rating/index.js';
import { eventKind } from '../../src/adapters/web/event-kinds.js';

test('/api/meters: the rating of a rated meter, none for the others', async (t) => {
  const rating: Rating = {
    meter: 'm1',
    ts: Date.UTC(2026, 0, 5),
    score: 715,
    grade: 'A',
    band: 'gentle',
    monthlyUse: 30_000,
    factors: [
      { factor: 'topUpBeforeEmpty', total: 23, weighted: 23, weight: 5, points: 115 },
      { factor: 'tamper', total: 0, weighted: 0, weight: -150, points: 0 },
    ],
  };
  const host = { ...fakeHost(), rating: { ratings: () => [rating] } };
  const { url } = await startFakeConsole(t, { host });
  const r = await http(`${url}/api/meters`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  t.is(r.status, 200);
  const [m1, m2] = r.body.meters as Array<{ id: string; rating?: unknown }>;
  t.deepEqual(m1!.rating, { score: 715, grade: 'A', band: 'gentle', ts: rating.ts, factors: [{ factor: 'topUpBeforeEmpty', points: 115 }, { factor: 'tamper', points: 0 }] });
  t.is(m2!.rating, undefined);
});

test('the event log: the daily credit-rating events are routine (hidden by default), class changes and reminders are changes', (t) => {
  t.is(eventKind('credit-rating'), 'routine');
  t.is(eventKind('customer-grade-changed'), 'change');
  t.is(eventKind('reminder'), 'change');
  t.is(eventKind('tamper'), 'alarm');
});
