/*
 * Reference key partitioning from the Apache Kafka Java client, for comparing the TypeScript
 * partitioner byte for byte. Run with Java's single-file source launcher on the Kafka jars:
 *
 *   java -cp '.kafka/lib/*' tools/kafka/JavaPartitioner.java <numPartitions>
 *
 * stdin: one key per line as hex ("" for an empty key). stdout: per key "<partition>\t<murmur2>"
 * where partition = Utils.toPositive(Utils.murmur2(key)) % numPartitions, cross-checked against
 * BuiltInPartitioner.partitionForKey (what KafkaProducer uses for keyed records); a mismatch
 * exits with status 3.
 */
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;

public class JavaPartitioner {
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: JavaPartitioner <numPartitions>");
      System.exit(2);
    }
    int numPartitions = Integer.parseInt(args[0]);
    HexFormat hex = HexFormat.of();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII), 1 << 16);
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      byte[] key = hex.parseHex(line.trim());
      int hash = Utils.murmur2(key);
      int partition = Utils.toPositive(hash) % numPartitions;
      int builtIn = BuiltInPartitioner.partitionForKey(key, numPartitions);
      if (builtIn != partition) {
        out.flush();
        System.err.println("BuiltInPartitioner disagrees on key #" + n + ": " + builtIn + " vs " + partition);
        System.exit(3);
      }
      out.write(partition + "\t" + hash + "\n");
      n++;
    }
    out.flush();
  }
}
