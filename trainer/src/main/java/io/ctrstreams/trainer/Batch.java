package io.ctrstreams.trainer;

import io.ctrstreams.model.FeatureVector;
import java.util.Arrays;

/**
 * A reusable mini-batch of encoded examples: per example and field the table row ({@link
 * #index}) and value ({@link #value}, the number for SCALED fields), laid out [example, field];
 * the label; and optionally a teacher probability for distillation (NaN = none).
 */
public final class Batch {
  private final int fields;
  private final int capacity;
  public final int[] index;
  public final float[] value;
  public final float[] label;
  public final float[] teacher;
  private int size;

  public Batch(int fields, int capacity) {
    if (fields < 1 || capacity < 1) {
      throw new TrainerException("a batch needs >= 1 field and capacity >= 1, found " + fields + " and " + capacity);
    }
    this.fields = fields;
    this.capacity = capacity;
    index = new int[fields * capacity];
    value = new float[fields * capacity];
    label = new float[capacity];
    teacher = new float[capacity];
    Arrays.fill(teacher, Float.NaN);
  }

  public int fields() {
    return fields;
  }

  public int capacity() {
    return capacity;
  }

  public int size() {
    return size;
  }

  public boolean isFull() {
    return size == capacity;
  }

  public void clear() {
    size = 0;
  }

  /**
   * Appends one encoded example (all fields in one vector).
   *
   * @param teacherProbability the teacher's probability, or NaN
   */
  public void add(FeatureVector features, float label, float teacherProbability) {
    if (size == capacity) {
      throw new TrainerException("batch is full at " + capacity + " examples");
    }
    if (features.size() != fields) {
      throw new TrainerException("batch has " + fields + " fields, feature vector has " + features.size());
    }
    System.arraycopy(features.index(), 0, index, size * fields, fields);
    System.arraycopy(features.value(), 0, value, size * fields, fields);
    this.label[size] = label;
    this.teacher[size] = teacherProbability;
    size++;
  }

  /** Copies example {@code i} of {@code other} (same field count) to the end of this batch. */
  public void addFrom(Batch other, int i) {
    if (size == capacity) {
      throw new TrainerException("batch is full at " + capacity + " examples");
    }
    System.arraycopy(other.index, i * fields, index, size * fields, fields);
    System.arraycopy(other.value, i * fields, value, size * fields, fields);
    label[size] = other.label[i];
    teacher[size] = other.teacher[i];
    size++;
  }

  /** Swaps examples i and j (for shuffling). */
  public void swap(int i, int j) {
    for (int f = 0; f < fields; f++) {
      int a = i * fields + f;
      int b = j * fields + f;
      int ti = index[a];
      index[a] = index[b];
      index[b] = ti;
      swap(value, a, b);
    }
    swap(label, i, j);
    swap(teacher, i, j);
  }

  private static void swap(float[] x, int a, int b) {
    float t = x[a];
    x[a] = x[b];
    x[b] = t;
  }
}
