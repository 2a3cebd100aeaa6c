package io.ctrstreams.loadtest.chaos;

/**
 * One row of the fault suite's table.
 *
 * @param name the case
 * @param tried impressions sent (including the hostile record, if any)
 * @param lost impressions without a score for every candidate (a dead-lettered hostile record
 *     is not lost; one that is neither scored nor dead-lettered is)
 * @param duplicated candidates with more than one score
 * @param crashed what died by itself ("" when nothing): a service process that exited, or a
 *     topology whose Kafka Streams state went to ERROR (/health/live answered 503)
 * @param recoverMs fault -> first new score on every partition, ms; -1 when never reached
 * @param allScoredMs fault -> every sent candidate scored, ms; -1 when never reached
 * @param expectationMet the case's own check (e.g. the bad record is in the DLQ, the previous
 *     model kept serving)
 * @param note what happened, in a few words
 */
public record CaseResult(String name, int tried, int lost, long duplicated, String crashed, long recoverMs,
    long allScoredMs, boolean expectationMet, String note) {

  /** Whether the case passed: nothing lost, duplicated or crashed, and its own check held. */
  public boolean passed() {
    return lost == 0 && duplicated == 0 && crashed.isEmpty() && expectationMet;
  }
}
