package io.ctrstreams.trainer.data;

import java.util.Map;

/** An event of the synthetic stream: an {@link Impression} or the {@link Click} that followed one. */
public sealed interface SyntheticEvent permits SyntheticEvent.Impression, SyntheticEvent.Click {

  /** Event time in ms since the epoch. */
  long timestampMs();

  /**
   * One ad shown: request context fields and candidate ad fields (field name -> String for
   * categorical, Double for numeric; missing omitted), plus the ground truth that a real
   * impression would not carry (whether it will be clicked, and the teacher's probability).
   *
   * @param eventId unique id; the matching click carries it
   * @param context fields with role CONTEXT
   * @param candidate fields with role CANDIDATE
   * @param clicked whether a click event follows
   * @param teacherProbability the hidden teacher's click probability (without its noise)
   * @param index position in the stream (row number)
   */
  record Impression(
      String eventId,
      long timestampMs,
      Map<String, Object> context,
      Map<String, Object> candidate,
      boolean clicked,
      double teacherProbability,
      long index) implements SyntheticEvent {}

  /**
   * A click on an earlier impression.
   *
   * @param impressionId the clicked impression's event id
   * @param impressionTimestampMs when the impression happened
   */
  record Click(String impressionId, long timestampMs, long impressionTimestampMs) implements SyntheticEvent {}
}
