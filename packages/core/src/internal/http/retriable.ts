/**
 * The status and message checks behind `HeliconeError.isRetriable`.
 *
 * @internal
 */

/** The HTTP statuses worth another attempt: 408, 429, 500, 502, 503 and 504. */
export const isRetriableStatus = (status: number): boolean =>
  status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504

/**
 * Tells whether the integer rejection of a self-hosted Helicone server (`… must be an integer …`) is in a message.
 * That 500 fails the same way on every retry.
 */
export const isIntegerRejection = (serverMessage: string | undefined): boolean =>
  serverMessage !== undefined && /must be an integer/i.test(serverMessage)
