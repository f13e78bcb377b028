/** A message that does not parse. `rcode` is what a server should answer, if it can answer at all. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(message: string, readonly rcode: number = 1 /* FORMERR */) {
    super(message);
  }
}
