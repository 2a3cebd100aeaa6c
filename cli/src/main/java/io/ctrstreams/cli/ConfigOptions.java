package io.ctrstreams.cli;

import io.ctrstreams.serving.ServiceConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of every command that talks to Kafka (a picocli mixin): {@code --config FILE},
 * {@code --bootstrap-servers}, {@code --set NAME=VALUE} and {@code --print-config-docs}. The file
 * is where a real cluster's client settings go ({@code security.protocol=SASL_SSL},
 * {@code sasl.jaas.config}, {@code ssl.*}): every property that is not a service setting passes
 * through to the Kafka clients ({@link ServiceConfig}). {@link ServiceOptions} adds what the
 * long-running services share.
 */
public class ConfigOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--config", paramLabel = "FILE",
      description = "A .properties file of settings (see --print-config-docs) and Kafka client properties"
          + " (security.protocol, sasl.*, ssl.*; prefix consumer., producer. or admin. to target one client).")
  Path configFile;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (default localhost:9092).")
  String bootstrapServers;

  @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Any setting, repeatable; wins over everything else.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(names = "--print-config-docs", description = "Print the settings reference (Markdown) and exit.")
  boolean printConfigDocs;

  /** Puts the settings of the options a subclass adds (none here). */
  void putOptions(Map<String, Object> props) {}

  /** Puts {@code value} as a string unless it is null (the option was not given). */
  static void putIf(Map<String, Object> props, String name, Object value) {
    if (value != null) {
      props.put(name, String.valueOf(value));
    }
  }

  /** Prints {@code markdown} when {@code --print-config-docs} was given; then the command ends. */
  boolean printedDocs(String markdown) {
    if (printConfigDocs) {
      System.out.print(markdown);
    }
    return printConfigDocs;
  }

  /**
   * The command's settings: the {@code --config} file, then {@code --bootstrap-servers} and the
   * command's dedicated options ({@code options}: name, value pairs; null values are not given),
   * then {@code --set}, parsed by {@code parse}.
   *
   * @throws ParameterException (exit code 2, message naming the setting and the value) when the
   *     file cannot be read or a setting is invalid
   */
  <C extends ServiceConfig> C load(Function<Map<String, Object>, C> parse, Object... options) {
    Map<String, Object> props = new HashMap<>();
    putIf(props, ServiceConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    putOptions(props);
    for (int i = 0; i < options.length; i += 2) {
      putIf(props, (String) options[i], options[i + 1]);
    }
    props.putAll(overrides);
    String name = "ctr " + command.name() + ": ";
    try {
      return parse.apply(ServiceConfig.properties(configFile, props));
    } catch (IOException e) {
      throw new ParameterException(command.commandLine(), name + "cannot read " + configFile + ": " + e.getMessage(), e);
    } catch (ConfigException e) {
      throw new ParameterException(command.commandLine(), name + e.getMessage(), e);
    }
  }
}
