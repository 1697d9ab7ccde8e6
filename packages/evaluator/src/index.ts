/**
 * @since 0.1.0
 */
export * as Comparison from "./Comparison.js"

/**
 * @since 0.1.0
 */
export * as Cost from "./Cost.js"

/**
 * @since 0.1.0
 */
export * as Dataset from "./Dataset.js"

/**
 * @since 0.1.0
 */
export * as Eval from "./Eval.js"

/**
 * @since 0.1.0
 */
export * as EvalReport from "./EvalReport.js"

/**
 * @since 0.1.0
 */
export * as HtmlReport from "./HtmlReport.js"

/**
 * @since 0.1.0
 */
export * as JUnitReport from "./JUnitReport.js"

/**
 * @since 0.1.0
 */
export * as MarkdownReport from "./MarkdownReport.js"

/**
 * @since 0.1.0
 */
export * as ModelCalls from "./ModelCalls.js"

/**
 * @since 0.1.0
 */
export * as Reporter from "./Reporter.js"

/**
 * @since 0.1.0
 */
export * as Scorer from "./Scorer.js"

/**
 * @since 0.1.0
 */
export * as Scorers from "./Scorers.js"

/**
 * @since 0.1.0
 */
export * as Statistics from "./Statistics.js"
