/**
 * Framework-free helpers for integration tests against the embedded broker (unique names, client
 * configs); shared by every module's tests.
 */
package io.ctrstreams.broker.testing;
