package io.ctrstreams.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ctr} launcher: one picocli command tree for every ctr-streams service and tool.
 *
 * <p>Each subcommand lives in its own class in this package and is registered in the
 * {@code subcommands} of this class's {@code @Command}; every one gets {@code --help} through
 * {@code mixinStandardHelpOptions}.
 */
@Command(
    name = "ctr",
    mixinStandardHelpOptions = true,
    versionProvider = Ctr.Version.class,
    description = "ctr-streams: online CTR scoring with low-rank compressed models on Apache Kafka.",
    // One entry per subcommand, in the order of the README's command list.
    subcommands = {CommandLine.HelpCommand.class, DemoCommand.class, BrokerCommand.class, CompressCommand.class,
        TrainerCommand.class, RecompressorCommand.class, PublishCommand.class, BenchScoreCommand.class,
        TopologyCommand.class, TrainCommand.class, EvalCommand.class, ImportSafetensorsCommand.class,
        LoadTestCommand.class, ChaosCommand.class, ModelsCommand.class, ExportOnnxCommand.class,
        ExchangeExperimentCommand.class, ServeCommand.class})
public final class Ctr implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Builds the full command tree; tests use this to run commands in process. */
  public static CommandLine commandLine() {
    return new CommandLine(new Ctr());
  }

  /** Entry point of the fat jar. */
  public static void main(String[] args) {
    io.ctrstreams.schemas.AvroLimits.install(); // before any Avro decoding
    System.exit(commandLine().execute(args));
  }

  /** Reports the version baked into the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Ctr.class.getPackage().getImplementationVersion();
      return new String[] {"ctr-streams " + (v == null ? "dev" : v)};
    }
  }
}
