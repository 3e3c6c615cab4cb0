import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Runs JDK keytool commands in one JVM, one command per line of stdin with its arguments
 * separated by tabs (passwords stay off the command line), in order, stopping at the first
 * that fails (keytool exits with its code). Used by tls.ts: a CA and the keystores it signs
 * take one JVM start instead of one per step. keytool's entry point is a JDK-internal class:
 * run with `--add-exports java.base/sun.security.tools.keytool=ALL-UNNAMED`.
 */
public class Keytool {
  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      String[] argv = line.split("\t");
      System.err.println("keytool " + argv[0]);
      sun.security.tools.keytool.Main.main(argv);
    }
  }
}
