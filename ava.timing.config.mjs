// The tests whose assertion is a time bound on the real product (a restart polls within 3 s, a
// second gateway is refused within 2 s). They run after the main suite, one file at a time, so the
// bound measures the gateway, not four other test files competing for the same two cores.
// `npm test` runs both phases; the main suite's config (package.json "ava") leaves these out.
export default {
  files: ['gateway/dist/test/e2e/kill-loop.test.js', 'gateway/dist/test/e2e/owner-lock.test.js'],
  workerThreads: false,
  timeout: '10m',
  concurrency: 1,
};
