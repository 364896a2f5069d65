/** shared/vectors and protocols' fixture copies must hold the same vectors, whichever the tests read. */
import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { loadOpenPaygoVectors, loadStsVectors, OPENPAYGO_FILES, SHARED_VECTORS, STS_FILES } from './vectors.js';

test('protocols fixture copies parse and hold every vector', (t) => {
  const s = loadStsVectors(STS_FILES.protocols);
  t.is(s.dkga02_ea07.tokens.length, 9);
  t.is(s.class1_cleartext.length, 2);
  t.is(loadOpenPaygoVectors(OPENPAYGO_FILES.protocols).length, 80);
});

test('shared/vectors (beside the repository) equals the protocols copies', (t) => {
  if (!existsSync(SHARED_VECTORS)) {
    // CI keeps shared/ beside the clone; a developer checkout may not have it.
    t.falsy(process.env.CI, `${SHARED_VECTORS} is missing, and CI must provide it`);
    t.log(`${SHARED_VECTORS} not found: the tests read protocols' copies`);
    return;
  }
  t.deepEqual(loadStsVectors(STS_FILES.shared), loadStsVectors(STS_FILES.protocols));
  t.is(readFileSync(OPENPAYGO_FILES.shared, 'utf8'), readFileSync(OPENPAYGO_FILES.protocols, 'utf8'));
});
