/** An error fastify answers with `statusCode` and a registered `code`. */
export function httpError(status: number, code: string, message: string): Error & { statusCode: number; code: string } {
  return Object.assign(new Error(message), { statusCode: status, code });
}
