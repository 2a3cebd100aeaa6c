package io.ctrstreams.recompressor;

/**
 * What compression did to one layer.
 *
 * @param layer tensor prefix ({@code emb/C7}, {@code mlp/1}, {@code cross/0})
 * @param shape {@code out x in} (embeddings: {@code rows x d})
 * @param rank kept rank, 0 = dense
 * @param bytesBefore float32 bytes in the full model
 * @param bytesAfter float32 bytes in the compressed model
 * @param flopsBefore FLOPs per candidate (2 per multiply-add) in the full model
 * @param flopsAfter FLOPs per candidate in the compressed model
 * @param retainedEnergy share of the basis energy kept (NaN when dense)
 * @param outputError relative squared output error on the calibration rows, {@code sum ||y -
 *     y_hat||^2 / sum ||y - mean y||^2} (NaN when dense); for AFM it equals {@code 1 -
 *     retainedEnergy}
 */
public record LayerReport(
    String layer, String shape, int rank, long bytesBefore, long bytesAfter, long flopsBefore, long flopsAfter,
    double retainedEnergy, double outputError) {}
