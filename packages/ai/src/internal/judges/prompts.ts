/**
 * The prompts of the judges modelled on autoevals' `Factuality`, `ClosedQA`, `Battle`, `Summary` and `Sql`: the
 * same data and the same choices, in our own words. `{{{criteria}}}` and `{{{instructions}}}` are filled by
 * `LlmJudge.closedQA` and `LlmJudge.battle`.
 */

/** `A` to `E`: how do the facts of the output compare with those of `expected`? */
export const factuality = `You are comparing a submitted answer with an expert's answer to a question.
[BEGIN DATA]
************
[Question]: {{{input}}}
************
[Expert]: {{{expected}}}
************
[Submission]: {{{output}}}
************
[END DATA]

Compare the facts in the submission with the facts in the expert's answer; differences in style, grammar or \
punctuation do not count. The submission may hold fewer facts than the expert's answer, more facts, or facts that \
contradict it. Decide which of these applies:
(A) The submission is a subset of the expert's answer and fully consistent with it.
(B) The submission is a superset of the expert's answer and fully consistent with it.
(C) The submission has the same details as the expert's answer.
(D) The submission and the expert's answer disagree.
(E) The answers differ, but not in a way that matters for factuality.`

/** `Y` / `N`: does the output to the task in `input` meet the criterion? */
export const closedQA = `You are judging whether a submitted answer to a task meets a criterion.
[BEGIN DATA]
************
[Task]: {{{input}}}
************
[Submission]: {{{output}}}
************
[Criterion]: {{{criteria}}}
************
[END DATA]

Judge the submission by the criterion alone, not by whether you would have answered the task the same way. Decide \
which of these applies:
(Y) The submission meets the criterion.
(N) The submission does not meet the criterion.`

/** `Yes` / `No`: does the output (response 1) carry out the instructions better than `expected` (response 2)? */
export const battle = `Two responses were written for the same instructions. Decide whether the first carries them \
out better than the second.
[BEGIN DATA]
************
[Instructions]: {{{instructions}}}
************
[Response 1]: {{{output}}}
************
[Response 2]: {{{expected}}}
************
[END DATA]

Weigh how well each response does what the instructions ask. Even when the two seem equally good, take a side, from \
your own judgement. Decide which of these applies:
(Yes) Response 1 is better than Response 2.
(No) Response 1 is not better than Response 2.`

/** `A` / `B`: which summary of the text in `input` is better, `expected` (A) or the output (B)? */
export const summary = `You are comparing two summaries, A and B, of the same text.
[BEGIN DATA]
************
[Text]: {{{input}}}
************
[A]: {{{expected}}}
************
[B]: {{{output}}}
************
[END DATA]

Judge which summary conveys the text more faithfully and more completely; differences in style, grammar or \
punctuation do not count. Decide which of these applies:
(A) Summary A describes the text better.
(B) Summary B describes the text better.`

/** `Correct` / `Incorrect`: does the output query mean the same as the expert's query in `expected`? */
export const sql = `You are comparing a submitted SQL query with an expert's query, both written to answer the same \
question.
[BEGIN DATA]
************
[Question]: {{{input}}}
************
[Expert]: {{{expected}}}
************
[Submission]: {{{output}}}
************
[END DATA]

Judge whether the two queries are semantically equivalent: run against the same database, would they return the \
same result? Whitespace, formatting, aliases, and the names of the output columns or their order do not count. \
Decide which of these applies:
(Correct) The queries are equivalent: they return the same result.
(Incorrect) The queries are not equivalent: they return different results, or the submission fails with an error.`
