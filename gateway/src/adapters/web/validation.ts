/**
 * Request validation for the console's routes. Bodies are JSON and checked as sent (no type
 * coercion, unknown keys refused); params and query strings arrive as text, so they are coerced
 * to the schema's number/boolean first (`hours=abc` is then a 400, not a silent default). Messages
 * name the field: `querystring.hours: must be number`, `body: unknown key "extra"`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const common = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
const bodyAjv = new Ajv({ ...common, coerceTypes: false });
const textAjv = new Ajv({ ...common, coerceTypes: true });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate: ValidateFunction = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
  if (httpPart !== 'body') return validate as ReturnType<FastifySchemaCompiler<unknown>>;
  // No body at all is judged as `{}`: fine for logout, "must have required property" for the rest.
  const checkBody = (data: unknown) => {
    const ok = validate(data === undefined || data === null ? {} : data);
    checkBody.errors = validate.errors;
    return ok;
  };
  checkBody.errors = null as ValidateFunction['errors'];
  return checkBody as unknown as ReturnType<FastifySchemaCompiler<unknown>>;
};

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown key "${String(e.params.additionalProperty)}" (must NOT have additional properties)`;
  if (e.keyword === 'enum') return `${e.message} (${(e.params.allowedValues as unknown[]).join(', ')})`;
  return e.message ?? 'is not valid';
}

/** `body/units/to` + `must be integer` -> `body.units.to: must be integer`; a missing key is named too. */
export function schemaErrorFormatter(errors: ErrorObject[], dataVar: string): Error {
  const e = errors[0]!;
  let field = `${dataVar}${e.instancePath.replace(/\//g, '.')}`;
  if (e.keyword === 'required') field += `.${String(e.params.missingProperty)}`;
  return new Error(`${field}: ${describe(e)}`);
}

/** A query string with these optional keys (and no others). */
export function query(properties: Record<string, object>): object {
  return { type: 'object', additionalProperties: false, properties };
}

export const NO_QUERY = query({});
export const METER_PARAMS = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } };
export const EMPTY_BODY = { type: 'object', additionalProperties: false, properties: {} };
