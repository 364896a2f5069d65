/** Registers the meter kinds that need more than a register map (imported for its side effect). */
export {};
