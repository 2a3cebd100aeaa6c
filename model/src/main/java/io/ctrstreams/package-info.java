/** Project-wide root types shared by every module: the exception root {@link io.ctrstreams.CtrException}. */
package io.ctrstreams;
