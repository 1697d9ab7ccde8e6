/**
 * Built-in scorers (being written).
 *
 * @since 0.1.0
 */
export {}
