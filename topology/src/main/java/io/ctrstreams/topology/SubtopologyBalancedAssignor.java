package io.ctrstreams.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.assignment.ApplicationState;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsAssignment;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsAssignment.AssignedTask;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsState;
import org.apache.kafka.streams.processor.assignment.ProcessId;
import org.apache.kafka.streams.processor.assignment.TaskAssignmentUtils;
import org.apache.kafka.streams.processor.assignment.TaskAssignor;

/**
 * A Kafka Streams task assignor (KIP-924, {@code task.assignor.class}) that spreads the active
 * tasks of <b>every sub-topology</b> evenly over the instances, in proportion to their stream
 * threads. The default assignor balances the total task count, so with 3 instances on
 * 4-partition topics it placed the scoring sub-topology's tasks 1/0/3 or 2/0/2: one instance held
 * only label-join tasks and scored nothing, and the busiest scored three times the average.
 *
 * <p>Per sub-topology, in order: each instance's quota is its share of the tasks by thread count
 * (the remainder going to the instances with the least work so far); a task stays with its
 * previous owner while that owner is under quota (sticky: no state moves without need); the rest
 * go to the instance furthest below its quota, ties broken by total load and then process id, so
 * the result is deterministic. Standby tasks, when configured, are placed by Kafka Streams'
 * default standby assignment. Stateless: every rebalance computes the assignment anew from the
 * previous one.
 */
public final class SubtopologyBalancedAssignor implements TaskAssignor {

  @Override
  public TaskAssignment assign(ApplicationState state) {
    Map<ProcessId, KafkaStreamsState> clients = new TreeMap<>(state.kafkaStreamsStates(false));
    Map<ProcessId, KafkaStreamsAssignment> out = new TreeMap<>();
    Map<ProcessId, Integer> load = new HashMap<>();
    Map<TaskId, ProcessId> previous = new HashMap<>();
    int threads = 0;
    for (KafkaStreamsState c : clients.values()) {
      out.put(c.processId(), KafkaStreamsAssignment.of(c.processId(), new java.util.HashSet<>()));
      load.put(c.processId(), 0);
      threads += Math.max(1, c.numProcessingThreads());
      for (TaskId t : c.previousActiveTasks()) {
        previous.put(t, c.processId());
      }
    }
    Map<Integer, List<TaskId>> bySubtopology = new TreeMap<>();
    for (TaskId t : new java.util.TreeSet<>(state.allTasks().keySet())) {
      bySubtopology.computeIfAbsent(t.subtopology(), k -> new ArrayList<>()).add(t);
    }
    for (List<TaskId> tasks : bySubtopology.values()) {
      Map<ProcessId, Integer> quota = quotas(clients, threads, tasks.size(), load);
      Map<ProcessId, Integer> taken = new HashMap<>();
      List<TaskId> unplaced = new ArrayList<>();
      for (TaskId t : tasks) {
        ProcessId p = previous.get(t);
        if (p != null && quota.containsKey(p) && taken.getOrDefault(p, 0) < quota.get(p)) {
          place(out, load, taken, p, t);
        } else {
          unplaced.add(t);
        }
      }
      for (TaskId t : unplaced) {
        ProcessId best = null;
        for (ProcessId p : clients.keySet()) {
          int room = quota.get(p) - taken.getOrDefault(p, 0);
          if (room <= 0) {
            continue;
          }
          if (best == null || room > quota.get(best) - taken.getOrDefault(best, 0)
              || (room == quota.get(best) - taken.getOrDefault(best, 0) && load.get(p) < load.get(best))) {
            best = p;
          }
        }
        place(out, load, taken, best, t);
      }
    }
    if (state.assignmentConfigs().numStandbyReplicas() > 0) {
      TaskAssignmentUtils.defaultStandbyTaskAssignment(state, out);
    }
    return new TaskAssignment(out.values());
  }

  /**
   * Each client's share of {@code n} tasks in proportion to its threads; the remainder goes one
   * each to the clients with the largest fractional share, then the least load, then process id.
   */
  static Map<ProcessId, Integer> quotas(Map<ProcessId, KafkaStreamsState> clients, int threads, int n,
      Map<ProcessId, Integer> load) {
    Map<ProcessId, Integer> q = new HashMap<>();
    List<ProcessId> order = new ArrayList<>(clients.keySet());
    Map<ProcessId, Double> frac = new HashMap<>();
    int given = 0;
    for (ProcessId p : order) {
      double share = (double) n * Math.max(1, clients.get(p).numProcessingThreads()) / threads;
      int whole = (int) Math.floor(share);
      q.put(p, whole);
      frac.put(p, share - whole);
      given += whole;
    }
    order.sort((a, b) -> {
      int c = Double.compare(frac.get(b), frac.get(a));
      if (c != 0) {
        return c;
      }
      c = Integer.compare(load.get(a), load.get(b));
      return c != 0 ? c : a.compareTo(b);
    });
    for (int i = 0; given < n; i = (i + 1) % order.size(), given++) {
      q.merge(order.get(i), 1, Integer::sum);
    }
    return q;
  }

  private static void place(Map<ProcessId, KafkaStreamsAssignment> out, Map<ProcessId, Integer> load,
      Map<ProcessId, Integer> taken, ProcessId p, TaskId t) {
    out.get(p).assignTask(new AssignedTask(t, AssignedTask.Type.ACTIVE));
    load.merge(p, 1, Integer::sum);
    taken.merge(p, 1, Integer::sum);
  }
}
