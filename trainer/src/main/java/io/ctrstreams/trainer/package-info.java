/**
 * Data readers (Criteo, Avazu, synthetic stream), mini-batch backprop for DNN / DeepFM / DCNv2 with dense and low-rank layers, evaluation metrics and safetensors import.
 */
package io.ctrstreams.trainer;
