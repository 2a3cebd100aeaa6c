package io.ctrstreams.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ctr} launcher: one picocli command tree for every ctr-streams service and tool.
 *
 * <p>Each subcommand lives in its own class in this package and is registered in
 * {@link #commandLine()}; every one gets {@code --help} through {@code mixinStandardHelpOptions}.
 */
@Command(
    name = "ctr",
    mixinStandardHelpOptions = true,
    versionProvider = Ctr.Version.class,
    description = "ctr-streams: online CTR scoring with low-rank compressed models on Apache Kafka.",
    subcommands = {CommandLine.HelpCommand.class})
public final class Ctr implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Builds the full command tree; tests use this to run commands in process. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Ctr());
    // Subcommands are added here, one line each, so the list reads like the README's command list.
    cl.addSubcommand(new DemoCommand());
    cl.addSubcommand(new BrokerCommand());
    cl.addSubcommand(new CompressCommand());
    cl.addSubcommand(new TrainerCommand());
    cl.addSubcommand(new RecompressorCommand());
    cl.addSubcommand(new PublishCommand());
    cl.addSubcommand(new BenchScoreCommand());
    cl.addSubcommand(new TopologyCommand());
    cl.addSubcommand(new TrainCommand());
    cl.addSubcommand(new EvalCommand());
    cl.addSubcommand(new ImportSafetensorsCommand());
    cl.addSubcommand(new LoadTestCommand());
    cl.addSubcommand(new ChaosCommand());
    return cl;
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
