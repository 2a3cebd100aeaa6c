/**
 * Training: {@link io.ctrstreams.trainer.Trainer} (mini-batch backprop for DNN / DeepFM / DCNv2
 * with dense and low-rank layers, Adam + sparse Adagrad, label / distillation loss, data-parallel
 * replicas), {@link io.ctrstreams.trainer.TrainingRun} (the {@code ctr train} job: split,
 * vocabulary, epochs, validation, hashed-LR baseline) and the feature preprocessing shared with
 * serving ({@link io.ctrstreams.trainer.Features}). Readers and the synthetic stream live in
 * {@code data}, safetensors import in {@code safetensors}; metrics are the model core's {@code
 * io.ctrstreams.model.eval}.
 */
package io.ctrstreams.trainer;
