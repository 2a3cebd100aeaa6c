/**
 * The {@code ctr} command-line launcher (picocli).
 */
package io.ctrstreams.cli;
