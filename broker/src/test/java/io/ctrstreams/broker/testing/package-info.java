/**
 * Test code shared by every module's tests through ctr-broker's test-jar: helpers for integration
 * tests against the embedded broker (unique names, client configs, reading a topic to its end)
 * and {@link io.ctrstreams.broker.testing.TestConditions#waitFor}, the one way tests wait.
 */
package io.ctrstreams.broker.testing;
