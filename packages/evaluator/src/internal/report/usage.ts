/**
 * A run's totals of model calls (`report.usage`), summed as the calls are recorded, and the sum of several runs'
 * (a merge of shards).
 *
 * @internal
 */
import * as Cost from "../../Cost.js"
import type * as ModelCalls from "../../ModelCalls.js"

/** The run's calls, summed as they are recorded; `cost` is what the budget is checked against. */
export class Accumulator {
  taskCalls = 0
  judgeCalls = 0
  taskInput = 0
  judgeInput = 0
  taskOutput = 0
  judgeOutput = 0
  /** USD, over the calls with a price and not answered from the cache. */
  cost = 0
  readonly unknown = new Set<string>()
  hits = 0
  misses = 0
  waitedMs = 0
  latencyMs = 0

  constructor(
    private readonly prices: Cost.PriceTable,
    /** Told of each model without a price, once. */
    private readonly unpriced: (model: string) => void
  ) {}

  get calls(): number {
    return this.taskCalls + this.judgeCalls
  }

  add(call: ModelCalls.ModelCall): void {
    const input = finite(call.inputTokens)
    const output = finite(call.outputTokens)
    if (call.role === "judge") {
      this.judgeCalls++
      this.judgeInput += input
      this.judgeOutput += output
    } else {
      this.taskCalls++
      this.taskInput += input
      this.taskOutput += output
    }
    this.latencyMs += finite(call.latencyMs)
    if (call.cache === "hit") this.hits++
    else if (call.cache === "miss") this.misses++
    const price = Cost.priceOf(this.prices, call.model)
    if (price === undefined) {
      if (!this.unknown.has(call.model)) {
        this.unknown.add(call.model)
        this.unpriced(call.model)
      }
    } else if (call.cache !== "hit") this.cost += Cost.costOf(price, input, output)
  }

  waited(ms: number): void {
    this.waitedMs += ms
  }

  /** The totals; `undefined` when the run made no model call. */
  usage(): ModelCalls.Usage | undefined {
    if (this.calls === 0) return undefined
    return {
      calls: { task: this.taskCalls, judge: this.judgeCalls },
      inputTokens: { task: this.taskInput, judge: this.judgeInput, total: this.taskInput + this.judgeInput },
      outputTokens: { task: this.taskOutput, judge: this.judgeOutput, total: this.taskOutput + this.judgeOutput },
      cost: this.unknown.size > 0 ? null : this.cost,
      unknownPriceModels: [...this.unknown].sort(),
      cache: { hits: this.hits, misses: this.misses },
      waitedMs: this.waitedMs,
      latencyMs: this.latencyMs
    }
  }
}

const finite = (n: number | undefined): number => (typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 0)

const byRole = (a: ModelCalls.TokensByRole, b: ModelCalls.TokensByRole): ModelCalls.TokensByRole => ({
  task: a.task + b.task,
  judge: a.judge + b.judge,
  total: a.total + b.total
})

/** The totals of several runs (shards of one): a cost is unknown when any run's is. */
export const sum = (usages: ReadonlyArray<ModelCalls.Usage | undefined>): ModelCalls.Usage | undefined => {
  let total: ModelCalls.Usage | undefined
  for (const u of usages) {
    if (u === undefined) continue
    total = total === undefined ? u : {
      calls: { task: total.calls.task + u.calls.task, judge: total.calls.judge + u.calls.judge },
      inputTokens: byRole(total.inputTokens, u.inputTokens),
      outputTokens: byRole(total.outputTokens, u.outputTokens),
      cost: total.cost === null || u.cost === null ? null : total.cost + u.cost,
      unknownPriceModels: [...new Set([...total.unknownPriceModels, ...u.unknownPriceModels])].sort(),
      cache: { hits: total.cache.hits + u.cache.hits, misses: total.cache.misses + u.cache.misses },
      waitedMs: total.waitedMs + u.waitedMs,
      latencyMs: total.latencyMs + u.latencyMs
    }
  }
  return total
}

const count = (n: number): string => Math.round(n).toLocaleString("en-US")

/** USD with enough digits for a run of cheap calls: `$0.0123`, `$4.56`. */
export const usd: (n: number) => string = Cost.formatUsd

const seconds = (ms: number): string => ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`

/**
 * The totals in two lines, for the terminal and the markdown summary: the calls and their tokens, then the cost, the
 * cache and the time waited.
 */
export const lines = (u: ModelCalls.Usage): [string, string] => {
  const calls = u.calls.task + u.calls.judge
  const tokens = `tokens ${count(u.inputTokens.total)} in / ${count(u.outputTokens.total)} out` +
    (u.calls.judge > 0 ? ` (judges ${count(u.inputTokens.judge)} / ${count(u.outputTokens.judge)})` : "")
  const cost = u.cost === null ?
    `cost unknown (no price for ${u.unknownPriceModels.join(", ")})` :
    `cost ${usd(u.cost)}`
  return [
    `model calls: ${count(calls)} (task ${count(u.calls.task)}, judge ${count(u.calls.judge)}), ${tokens}`,
    `${cost}, cache ${count(u.cache.hits)} hits / ${count(u.cache.misses)} misses, waited ${seconds(u.waitedMs)}`
  ]
}

/** The totals as JUnit properties (`usage.*`), and a budget stop (`stopped.*`). */
export const properties = (
  u: ModelCalls.Usage | undefined,
  stopped: { readonly maxCost: number; readonly cost: number; readonly casesNotRun: number | null } | undefined
): Array<[string, string]> => {
  const props: Array<[string, string]> = []
  if (u !== undefined) {
    props.push(
      ["usage.calls.task", String(u.calls.task)],
      ["usage.calls.judge", String(u.calls.judge)],
      ["usage.inputTokens.task", String(u.inputTokens.task)],
      ["usage.inputTokens.judge", String(u.inputTokens.judge)],
      ["usage.inputTokens.total", String(u.inputTokens.total)],
      ["usage.outputTokens.task", String(u.outputTokens.task)],
      ["usage.outputTokens.judge", String(u.outputTokens.judge)],
      ["usage.outputTokens.total", String(u.outputTokens.total)],
      ["usage.cost", u.cost === null ? "unknown" : String(u.cost)],
      ["usage.cache.hits", String(u.cache.hits)],
      ["usage.cache.misses", String(u.cache.misses)],
      ["usage.waitedMs", String(u.waitedMs)],
      ["usage.latencyMs", String(u.latencyMs)]
    )
    if (u.unknownPriceModels.length > 0) props.push(["usage.unknownPriceModels", u.unknownPriceModels.join(",")])
  }
  if (stopped !== undefined) {
    props.push(
      ["stopped.reason", "budget"],
      ["stopped.maxCost", String(stopped.maxCost)],
      ["stopped.cost", String(stopped.cost)],
      ["stopped.casesNotRun", stopped.casesNotRun === null ? "unknown" : String(stopped.casesNotRun)]
    )
  }
  return props
}
