import test from 'ava';
import { deriveDecoderKeyDkga02, luhnValid, type Dkga02Params } from '../../../src/tokens/sts/dkga02.js';
import { PrepaidError } from '../../../src/errors.js';

// Parameters of the DKGA-02 vectors in shared/vectors/sts.
const ok: Dkga02Params = {
  vendingKey: 'abababababababab',
  pan: '600727000000000009',
  supplyGroupCode: '123456',
  tariffIndex: '01',
  keyRevision: 1,
  keyType: 2,
};

test('DKGA-02: each parameter changes the derived key', (t) => {
  const key = deriveDecoderKeyDkga02(ok).toString('hex');
  const variants: Partial<Dkga02Params>[] = [
    { vendingKey: 'abababababababaa' },
    { pan: '600727000000000017' },
    { supplyGroupCode: '123457' },
    { tariffIndex: '02' },
    { keyRevision: 2 },
    { keyType: 1 },
  ];
  for (const change of variants) t.not(deriveDecoderKeyDkga02({ ...ok, ...change }).toString('hex'), key, JSON.stringify(change));
});

test('DKGA-02: PAN check digit is the Luhn digit of the first 17', (t) => {
  t.true(luhnValid('600727000000000009'));
  t.true(luhnValid('000001000000000082'));
  t.false(luhnValid('600727000000000008'));
});

test('DKGA-02: malformed parameters throw E_TOKEN_KEY naming the field', (t) => {
  const bad: Array<[Partial<Dkga02Params>, string]> = [
    [{ vendingKey: 'abab' }, 'vendingKey'],
    [{ vendingKey: Buffer.alloc(7) }, 'vendingKey'],
    [{ pan: '60072700000000000' }, 'pan'],
    [{ pan: '600727000000000008' }, 'pan'],
    [{ pan: '60072700000000000a' }, 'pan'],
    [{ supplyGroupCode: '12345' }, 'supplyGroupCode'],
    [{ tariffIndex: '1' }, 'tariffIndex'],
    [{ keyRevision: 0 }, 'keyRevision'],
    [{ keyRevision: 10 }, 'keyRevision'],
    [{ keyType: 4 }, 'keyType'],
  ];
  for (const [change, path] of bad) {
    const err = t.throws(() => deriveDecoderKeyDkga02({ ...ok, ...change }), { instanceOf: PrepaidError });
    t.is(err?.code, 'E_TOKEN_KEY', path);
    t.is(err?.context.path, path);
  }
});
