package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.assignment.ApplicationState;
import org.apache.kafka.streams.processor.assignment.AssignmentConfigs;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsAssignment;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsState;
import org.apache.kafka.streams.processor.assignment.ProcessId;
import org.apache.kafka.streams.processor.assignment.TaskAssignmentUtils;
import org.apache.kafka.streams.processor.assignment.TaskAssignor;
import org.apache.kafka.streams.processor.assignment.TaskInfo;
import org.apache.kafka.streams.processor.assignment.TaskTopicPartition;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

/** Every sub-topology's tasks spread evenly (by threads), sticky where the quota allows, deterministic. */
class SubtopologyBalancedAssignorTest {

  private record Client(ProcessId processId, int numProcessingThreads, SortedSet<TaskId> previousActiveTasks)
      implements KafkaStreamsState {
    @Override
    public SortedSet<String> consumerClientIds() {
      return new TreeSet<>(List.of(processId.toString() + "-c"));
    }

    @Override
    public SortedSet<TaskId> previousStandbyTasks() {
      return new TreeSet<>();
    }

    @Override
    public long lagFor(TaskId task) {
      return 0;
    }

    @Override
    public SortedSet<TaskId> prevTasksByLag(String consumerClientId) {
      return previousActiveTasks;
    }

    @Override
    public Map<TaskId, Long> statefulTasksToLagSums() {
      return Map.of();
    }

    @Override
    public Optional<HostInfo> hostInfo() {
      return Optional.empty();
    }

    @Override
    public Map<String, String> clientTags() {
      return Map.of();
    }

    @Override
    public Optional<String> rackId() {
      return Optional.empty();
    }
  }

  private record Task(TaskId id) implements TaskInfo {
    @Override
    public boolean isStateful() {
      return id.subtopology() == 1;
    }

    @Override
    public Set<String> stateStoreNames() {
      return Set.of();
    }

    @Override
    public Set<TaskTopicPartition> topicPartitions() {
      return Set.of();
    }
  }

  private static ApplicationState state(List<Client> clients, int subtopologies, int partitions) {
    Map<TaskId, TaskInfo> tasks = new TreeMap<>();
    for (int s = 0; s < subtopologies; s++) {
      for (int p = 0; p < partitions; p++) {
        tasks.put(new TaskId(s, p), new Task(new TaskId(s, p)));
      }
    }
    Map<ProcessId, KafkaStreamsState> byId = new HashMap<>();
    clients.forEach(c -> byId.put(c.processId(), c));
    return new ApplicationState() {
      @Override
      public Map<ProcessId, KafkaStreamsState> kafkaStreamsStates(boolean computeTaskLags) {
        return byId;
      }

      @Override
      public AssignmentConfigs assignmentConfigs() {
        return new AssignmentConfigs(10_000L, 2, 0, 600_000L, List.of());
      }

      @Override
      public Map<TaskId, TaskInfo> allTasks() {
        return tasks;
      }
    };
  }

  private static ProcessId pid(int i) {
    return new ProcessId(new UUID(0, i));
  }

  private static Client client(int i, int threads, TaskId... previous) {
    return new Client(pid(i), threads, new TreeSet<>(List.of(previous)));
  }

  /** Active tasks per client per sub-topology. */
  private static Map<ProcessId, int[]> counts(TaskAssignor.TaskAssignment a, int subtopologies) {
    Map<ProcessId, int[]> c = new TreeMap<>();
    for (KafkaStreamsAssignment k : a.assignment()) {
      int[] n = new int[subtopologies];
      k.tasks().keySet().forEach(t -> n[t.subtopology()]++);
      c.put(k.processId(), n);
    }
    return c;
  }

  @Test
  void threeInstancesOnFourPartitionsShouldEachScore() {
    ApplicationState s = state(List.of(client(1, 1), client(2, 1), client(3, 1)), 2, 4);
    TaskAssignor.TaskAssignment a = new SubtopologyBalancedAssignor().assign(s);
    assertThat(TaskAssignmentUtils.validateTaskAssignment(s, a)).isEqualTo(TaskAssignor.AssignmentError.NONE);
    Map<ProcessId, int[]> c = counts(a, 2);
    for (int sub = 0; sub < 2; sub++) {
      int sb = sub;
      List<Integer> per = c.values().stream().map(n -> n[sb]).toList();
      assertThat(per).as("sub-topology %d", sub).allMatch(n -> n >= 1 && n <= 2);
      assertThat(per.stream().mapToInt(Integer::intValue).sum()).isEqualTo(4);
    }
    // the +1s go to different instances: totals 3/3/2
    assertThat(c.values().stream().map(n -> n[0] + n[1]).sorted().toList()).containsExactly(2, 3, 3);
    // deterministic
    assertThat(counts(new SubtopologyBalancedAssignor().assign(s), 2)).usingRecursiveComparison().isEqualTo(c);
  }

  @Test
  void previousOwnersShouldKeepTheirTasksWithinTheQuota() {
    TaskId[] all = {new TaskId(0, 0), new TaskId(0, 1), new TaskId(0, 2), new TaskId(0, 3)};
    // client 1 had everything (it was alone); a second instance joins
    ApplicationState s = state(List.of(client(1, 1, all), client(2, 1)), 1, 4);
    TaskAssignor.TaskAssignment a = new SubtopologyBalancedAssignor().assign(s);
    Map<ProcessId, Set<TaskId>> owned = new HashMap<>();
    a.assignment().forEach(k -> owned.put(k.processId(), k.tasks().keySet()));
    assertThat(owned.get(pid(1))).hasSize(2).containsExactlyInAnyOrder(all[0], all[1]);
    assertThat(owned.get(pid(2))).hasSize(2);
  }

  @Test
  void sharesShouldFollowTheThreadCounts() {
    ApplicationState s = state(List.of(client(1, 3), client(2, 1)), 1, 8);
    Map<ProcessId, int[]> c = counts(new SubtopologyBalancedAssignor().assign(s), 1);
    assertThat(c.get(pid(1))[0]).isEqualTo(6);
    assertThat(c.get(pid(2))[0]).isEqualTo(2);
  }
}
