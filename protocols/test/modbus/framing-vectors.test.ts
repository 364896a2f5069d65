/** The framing fault vector file is valid against its schema, and its frames' CRCs say what the cases claim. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { decodeRtu } from '../../src/index.js';

const dir = new URL('../../../vectors/', import.meta.url);
const doc = JSON.parse(readFileSync(new URL('modbus-framing-faults.json', dir), 'utf8'));
const schema = JSON.parse(readFileSync(new URL('modbus-framing-faults.schema.json', dir), 'utf8'));

test('modbus-framing-faults.json matches its schema', (t) => {
  const validate = new Ajv2020({ allErrors: true }).compile(schema);
  t.true(validate(doc), JSON.stringify(validate.errors));
});

test('case names are unique and the good-request frame decodes', (t) => {
  const names = doc.cases.map((c: { name: string }) => c.name);
  t.is(new Set(names).size, names.length);
  const good = doc.cases.find((c: { name: string }) => c.name === 'good-request');
  const f = decodeRtu(Buffer.from(good.steps[0].bytes.replace(/ /g, ''), 'hex'));
  t.is(f.unit, 1);
  const bad = doc.cases.find((c: { name: string }) => c.name === 'crc-corrupt');
  t.throws(() => decodeRtu(Buffer.from(bad.steps[0].bytes.replace(/ /g, ''), 'hex')), { message: /CRC/ });
});
