package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The launcher's log lines carry wall-clock timestamps (the test class path has its own logging file). */
class LoggingConfigTest {

  @Test
  void launcherLogLinesShouldCarryAnIsoTimestamp() throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of("src/main/resources/simplelogger.properties"))) {
      p.load(r);
    }
    assertThat(p.getProperty("org.slf4j.simpleLogger.showDateTime")).isEqualTo("true");
    // slf4j-simple formats with SimpleDateFormat: the pattern must be valid and give ISO 8601 with an offset
    String stamp = new SimpleDateFormat(p.getProperty("org.slf4j.simpleLogger.dateTimeFormat")).format(new Date(0));
    assertThat(stamp).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2})");
  }
}
