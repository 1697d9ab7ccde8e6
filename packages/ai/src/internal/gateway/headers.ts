import type * as ModelCalls from "@helicone-effect/evaluator/ModelCalls"

const unsafeInHeader = /[^\x21-\x7E ]|%/gu
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * A header value any HTTP stack accepts: `%`, control characters and non-ASCII characters are percent-encoded as
 * UTF-8 (as `encodeURIComponent` does), and so are leading and trailing spaces, which HTTP would strip.
 * `decodeURIComponent` gives the value back. Printable ASCII other than `%` is left as it is.
 */
export const encodeHeaderValue = (value: string): string => {
  const encoded = value.replace(loneSurrogate, "\uFFFD").replace(unsafeInHeader, encodeURIComponent)
  return encoded.replace(/^ +| +$/g, (spaces) => "%20".repeat(spaces.length))
}

/** One segment of a Helicone session path: `/` and everything `encodeURIComponent` encodes are encoded. */
const pathSegment = (value: string): string => encodeURIComponent(value.replace(loneSurrogate, "\uFFFD"))

/** What Helicone shows for the case: its name, else its key (a hash of its input). */
const caseLabel = (kase: ModelCalls.Case): string => kase.name ?? kase.key

/** The session path of a case's calls: `/<case>/trial-<n>`, and `/<case>/trial-<n>/<scorer>` for a judge. */
export const sessionPath = (kase: ModelCalls.Case): string => {
  const base = `/${pathSegment(caseLabel(kase))}/trial-${kase.trial}`
  return kase.role === "judge" && kase.scorer !== undefined ? `${base}/${pathSegment(kase.scorer)}` : base
}

/** The Helicone headers of one request made for the case, under `requestId`. */
export const caseHeaders = (kase: ModelCalls.Case, requestId: string): Record<string, string> => {
  const headers: Record<string, string> = {
    "Helicone-Request-Id": encodeHeaderValue(requestId),
    "Helicone-Property-Eval": encodeHeaderValue(kase.suite),
    "Helicone-Property-Case": encodeHeaderValue(caseLabel(kase)),
    "Helicone-Property-Trial": String(kase.trial),
    "Helicone-Property-Run": encodeHeaderValue(kase.runId),
    "Helicone-Property-Role": kase.role,
    "Helicone-Session-Id": encodeHeaderValue(kase.runId),
    "Helicone-Session-Name": encodeHeaderValue(kase.suite),
    "Helicone-Session-Path": sessionPath(kase)
  }
  if (kase.role === "judge" && kase.scorer !== undefined) {
    headers["Helicone-Property-Scorer"] = encodeHeaderValue(kase.scorer)
  }
  return headers
}
