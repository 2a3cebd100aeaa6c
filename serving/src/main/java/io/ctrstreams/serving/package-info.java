/**
 * The model registry shared by every scorer: chunked model transport over a compacted topic, verification and lock-free hot swap.
 */
package io.ctrstreams.serving;
