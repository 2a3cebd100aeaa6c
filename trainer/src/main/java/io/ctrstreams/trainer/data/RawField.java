package io.ctrstreams.trainer.data;

/**
 * One raw input column of a dataset.
 *
 * @param name field name as it appears in the model spec
 * @param numeric true for count-like numbers (log-bucketed), false for categorical strings
 * @param context true when the field describes the request (user, site, time) and is shared by
 *     every candidate ad; false for candidate (ad) fields
 */
public record RawField(String name, boolean numeric, boolean context) {}
