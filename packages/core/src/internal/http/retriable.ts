/**
 * The status and message checks behind `HeliconeError.isRetriable`.
 *
 * @internal
 */

/**
 * The HTTP statuses worth another attempt: 408, 429 and every 5xx (a proxy's 520–530 pages included). The integer
 * rejection, a 500 that fails the same way every time, is told apart by its message, not its status.
 */
export const isRetriableStatus = (status: number): boolean =>
  status === 408 || status === 429 || (status >= 500 && status < 600)

/**
 * Tells whether the integer rejection of a self-hosted Helicone server (`… must be an integer …`) is in a message.
 * That 500 fails the same way on every retry.
 */
export const isIntegerRejection = (serverMessage: string | undefined): boolean =>
  serverMessage !== undefined && /must be an integer/i.test(serverMessage)
