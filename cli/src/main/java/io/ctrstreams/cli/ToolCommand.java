package io.ctrstreams.cli;

import io.ctrstreams.CtrException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A one-shot file tool ({@code ctr train}, {@code eval}, {@code import-safetensors}): it writes to
 * the command line's out and err; a {@link CtrException} or an {@link IOException} ends it with
 * {@code ctr <command>: <message>} on err and exit code 1.
 */
abstract class ToolCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Does the work; returns normally for exit code 0. */
  abstract void run(PrintWriter out, PrintWriter err) throws IOException;

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      run(out, err);
      out.flush();
      return 0;
    } catch (CtrException | IOException e) {
      err.println("ctr " + spec.name() + ": " + e.getMessage());
      return 1;
    } finally {
      err.flush();
    }
  }
}
