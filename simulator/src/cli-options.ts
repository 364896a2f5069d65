/** Commander argument parsers for numeric options, shared by `prepaid-sim` and the gateway's `fleet` command. */
import { InvalidArgumentError } from 'commander';

/** An integer in min..max; `name` is the option as typed, for the message. */
export const int = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}`);
  return n;
};

export const positive = (v: string): number => {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('must be a number > 0');
  return n;
};
