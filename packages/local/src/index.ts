/**
 * @since 0.1.0
 */

/**
 * Fault injection for the local server: which failure the n-th request gets, as a pure function of a seed.
 *
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"

/**
 * A Helicone-compatible score API in one process: the routes of Helicone's self-hosted server, stored in SQLite, with
 * optional fault injection.
 *
 * @since 0.1.0
 */
export * as LocalHelicone from "./LocalHelicone.js"
