// Sign a prepaid-edge command with nothing but Node.js (>= 16). See docs/mqtt.md, "Commands".
// node sign-command-example.mjs KEY.private.pem KEY_ID '{"type":"topup","meter":"m1","amount":5000,"currency":"CNY"}'
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

// RFC 8785 canonical JSON for what commands hold (strings, integers, booleans, null, arrays,
// objects): members sorted by UTF-16 code units (JavaScript's default sort), no whitespace.
const canonical = (v) =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v !== null && typeof v === 'object'
    ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
    : JSON.stringify(v);

const [keyFile, keyId, fields] = process.argv.slice(2);
const issuedAt = Date.now();
const command = { id: randomUUID(), issuedAt, expiresAt: issuedAt + 3_600_000, ...JSON.parse(fields), keyId };
const signature = sign(null, Buffer.from(canonical(command), 'utf8'), createPrivateKey(readFileSync(keyFile)));
console.log(JSON.stringify({ ...command, sig: signature.toString('base64url') }));
