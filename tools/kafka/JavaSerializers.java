/*
 * Reference serialization with the Apache Kafka Java client's own serializers, for comparing the
 * TypeScript serializers byte for byte. Run with Java's single-file source launcher:
 *
 *   java -cp '.kafka/lib/*' tools/kafka/JavaSerializers.java <string|integer|long|short|double|float>
 *
 * stdin: one value per line. For "string" the line is the value's UTF-16 code units as hex, four
 * digits each (so any JavaScript string, lone surrogates included, reaches Java unchanged); for
 * the numeric kinds it is the decimal text (Integer.parseInt, Long.parseLong, Double.parseDouble...).
 * stdout: per value the serialized bytes as lowercase hex, one line each.
 */
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.function.Function;
import org.apache.kafka.common.serialization.DoubleSerializer;
import org.apache.kafka.common.serialization.FloatSerializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.ShortSerializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class JavaSerializers {
  private static final String TOPIC = "harness";

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: JavaSerializers <string|integer|long|short|double|float>");
      System.exit(2);
    }
    Function<String, byte[]> serialize;
    switch (args[0]) {
      case "string": {
        StringSerializer s = new StringSerializer();
        serialize = line -> s.serialize(TOPIC, decodeUtf16Hex(line));
        break;
      }
      case "integer": {
        IntegerSerializer s = new IntegerSerializer();
        serialize = line -> s.serialize(TOPIC, Integer.parseInt(line));
        break;
      }
      case "long": {
        LongSerializer s = new LongSerializer();
        serialize = line -> s.serialize(TOPIC, Long.parseLong(line));
        break;
      }
      case "short": {
        ShortSerializer s = new ShortSerializer();
        serialize = line -> s.serialize(TOPIC, Short.parseShort(line));
        break;
      }
      case "double": {
        DoubleSerializer s = new DoubleSerializer();
        serialize = line -> s.serialize(TOPIC, Double.parseDouble(line));
        break;
      }
      case "float": {
        FloatSerializer s = new FloatSerializer();
        serialize = line -> s.serialize(TOPIC, Float.parseFloat(line));
        break;
      }
      default:
        System.err.println("unknown kind " + args[0]);
        System.exit(2);
        return;
    }
    HexFormat hex = HexFormat.of();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII), 1 << 16);
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
    String line;
    while ((line = in.readLine()) != null) {
      out.write(hex.formatHex(serialize.apply(line.trim())));
      out.write('\n');
    }
    out.flush();
  }

  private static String decodeUtf16Hex(String hex) {
    if (hex.length() % 4 != 0) throw new IllegalArgumentException("UTF-16 hex length " + hex.length());
    char[] chars = new char[hex.length() / 4];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) Integer.parseInt(hex.substring(4 * i, 4 * i + 4), 16);
    }
    return new String(chars);
  }
}
