// Loads fixtures/sts_vectors.json, an unchanged copy of shared/vectors/sts/sts_vectors.json (values
// copied from the NectarAPI/tokens-service STS 531-1-0 compliance tests; provenance in fixtures/README.md).
import { loadStsVectors, STS_FILES, type StsCreditVector, type StsTestVector } from '../../../src/tokens/vectors.js';

export type { StsVectors } from '../../../src/tokens/vectors.js';
export type Dkga02Vector = StsCreditVector;
export type Class1Vector = StsTestVector;

export const vectors = loadStsVectors(STS_FILES.protocols);
