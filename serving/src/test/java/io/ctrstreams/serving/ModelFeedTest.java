package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.serving.ModelRegistry.Outcome;
import io.ctrstreams.serving.TopicRecords.Rec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelFeedTest {

  @Test
  void shouldRouteEachModelToItsRegistry() {
    ModelRegistry live = new ModelRegistry("live");
    ModelRegistry shadow = new ModelRegistry("shadow");
    ModelFeed feed = ModelFeed.of(live, shadow);
    List<Rec> log = new ArrayList<>();
    log.addAll(TopicRecords.publish("live", 3, TestModels.ctrm(3), 500));
    log.addAll(TopicRecords.publish("shadow", 9, TestModels.ctrm(9), 500));
    log.addAll(TopicRecords.publish("other", 1, TestModels.ctrm(1), 500));

    List<Outcome> outcomes = new ArrayList<>();
    for (Rec r : log) {
      outcomes.add(feed.accept(r.key(), r.value()));
    }

    assertThat(live.current().version()).isEqualTo(3);
    assertThat(shadow.current().version()).isEqualTo(9);
    assertThat(outcomes).filteredOn(o -> o == Outcome.SWAPPED).hasSize(2);
    assertThat(feed.assembler().bufferedBytes()).isZero();
  }

  @Test
  void shouldRefuseTwoRegistriesForOneName() {
    assertThatThrownBy(() -> ModelFeed.of(new ModelRegistry("a"), new ModelRegistry("a")))
        .isInstanceOf(ServingException.class)
        .hasMessage("two registries for model name a");
  }
}
