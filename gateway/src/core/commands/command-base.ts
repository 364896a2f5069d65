/** What every command type shares: the common fields and the error a malformed field raises (shape.ts, account-shape.ts). */
import { PrepaidError } from '@prepaid-edge/protocols';

/** Fields every command carries. `note` is optional free text for the audit trail (signed like the rest). */
export interface CommandBase {
  id: string;
  issuedAt: number;
  expiresAt: number;
  keyId: string;
  note?: string;
}

export function malformed(path: string, why: string): PrepaidError {
  return new PrepaidError('E_COMMAND_MALFORMED', `${path}: ${why}`, { path });
}

/** The field reader a type's checks use (shape.ts FieldReader). */
export interface Fields {
  has(name: string): boolean;
  id(name: string, max?: number): string;
  positiveInt(name: string): number;
  oneOf<T extends string>(name: string, values: readonly T[]): T;
}
