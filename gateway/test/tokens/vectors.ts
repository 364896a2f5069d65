/** The published token vectors: one loader, in protocols (`@prepaid-edge/protocols/vectors`). */
export * from '@prepaid-edge/protocols/vectors';
