import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The bench's Java peer (bench/README.md): one KafkaProducer sending as fast as it accepts
 * records, like Kafka's ProducerPerformance (send() blocks only when buffer.memory is full),
 * or with at most maxInFlight records unacked when that is above 0. It warms up for warmupMs,
 * then counts the records acked during windowMs, and prints on stdout:
 *
 *   window start
 *   window end
 *   result {"acked":…,"errors":…,"windowAcked":…,"windowRequests":…,…}
 *
 * The runner reads the CPU of this JVM and of the brokers from /proc when it sees the first
 * two lines. Arguments: topic size keys warmupMs windowMs maxInFlight valueText [k=v producer
 * properties…]; keys 0 means keyless, else key i is "k" + 8 digits of (i mod keys).
 *
 * With the property bench.transaction.records=N (taken out before the producer is made), it is
 * transactional instead (transactional.id must be among the properties): initTransactions, then
 * one transaction at a time of N sends, committed before the next (commitTransaction flushes);
 * a record counts as acked when its transaction commits.
 */
public class BenchProducer {
  private static double metric(KafkaProducer<byte[], byte[]> p, String group, String name) {
    for (Map.Entry<MetricName, ? extends Metric> e : p.metrics().entrySet()) {
      MetricName m = e.getKey();
      if (m.group().equals(group) && m.name().equals(name)) {
        Object v = e.getValue().metricValue();
        return v instanceof Number ? ((Number) v).doubleValue() : Double.NaN;
      }
    }
    return Double.NaN;
  }

  private static String num(double v) {
    return Double.isFinite(v) ? Double.toString(v) : "null";
  }

  private static String str(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(' ');
      else b.append(c);
    }
    return b.append('"').toString();
  }

  public static void main(String[] args) throws Exception {
    String topic = args[0];
    int keys = Integer.parseInt(args[2]);
    long warmupMs = Long.parseLong(args[3]);
    long windowMs = Long.parseLong(args[4]);
    int maxInFlight = Integer.parseInt(args[5]);
    byte[] value = args[6].getBytes(StandardCharsets.UTF_8);
    if (value.length != Integer.parseInt(args[1])) {
      throw new IllegalArgumentException("value is " + value.length + " bytes, not " + args[1]);
    }
    Properties props = new Properties();
    for (int i = 7; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    Object txProp = props.remove("bench.transaction.records");
    int txRecords = txProp == null ? 0 : Integer.parseInt(txProp.toString());
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    byte[][] keyBytes = new byte[keys][];
    for (int k = 0; k < keys; k++) {
      keyBytes[k] = String.format("k%08d", k).getBytes(StandardCharsets.US_ASCII);
    }

    AtomicLong acked = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    Semaphore slots = maxInFlight > 0 ? new Semaphore(maxInFlight) : null;
    Callback callback =
        (metadata, exception) -> {
          if (exception == null) acked.incrementAndGet();
          else {
            errors.incrementAndGet();
            firstError.compareAndSet(null, exception.toString());
          }
          if (slots != null) slots.release();
        };

    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
    // Connect and fetch the topic's metadata before the clock starts, as the Node peers do.
    producer.partitionsFor(topic);
    if (txRecords > 0) producer.initTransactions();
    final boolean[] stop = {false};
    Map<String, Double> marks = new HashMap<>();
    Thread clock =
        new Thread(
            () -> {
              try {
                Thread.sleep(warmupMs);
                marks.put("acked0", (double) acked.get());
                marks.put("errors0", (double) errors.get());
                marks.put("requests0", metric(producer, "producer-metrics", "request-total"));
                marks.put("t0", (double) System.nanoTime());
                System.out.println("window start");
                System.out.flush();
                Thread.sleep(windowMs);
                marks.put("acked1", (double) acked.get());
                marks.put("errors1", (double) errors.get());
                marks.put("requests1", metric(producer, "producer-metrics", "request-total"));
                marks.put("t1", (double) System.nanoTime());
                System.out.println("window end");
                System.out.flush();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              synchronized (stop) {
                stop[0] = true;
              }
            },
            "bench-clock");
    clock.start();

    long i = 0;
    if (txRecords > 0) {
      Callback txCallback =
          (metadata, exception) -> {
            if (exception != null) firstError.compareAndSet(null, exception.toString());
          };
      for (; ; ) {
        synchronized (stop) {
          if (stop[0]) break;
        }
        producer.beginTransaction();
        try {
          for (int j = 0; j < txRecords; j++, i++) {
            byte[] key = keys > 0 ? keyBytes[(int) (i % keys)] : null;
            producer.send(new ProducerRecord<>(topic, key, value), txCallback);
          }
          producer.commitTransaction();
          acked.addAndGet(txRecords);
        } catch (Exception e) {
          errors.addAndGet(txRecords);
          firstError.compareAndSet(null, e.toString());
          producer.abortTransaction();
        }
      }
    } else {
      for (; ; i++) {
        if ((i & 255) == 0) {
          synchronized (stop) {
            if (stop[0]) break;
          }
        }
        if (slots != null) slots.acquire();
        byte[] key = keys > 0 ? keyBytes[(int) (i % keys)] : null;
        producer.send(new ProducerRecord<>(topic, key, value), callback);
      }
    }
    clock.join();
    producer.flush();
    double perRequestAvg = metric(producer, "producer-metrics", "records-per-request-avg");
    double batchSizeAvg = metric(producer, "producer-metrics", "batch-size-avg");
    producer.close();
    double seconds = (marks.get("t1") - marks.get("t0")) / 1e9;
    System.out.println(
        "result {\"sent\":" + i
            + ",\"acked\":" + acked.get()
            + ",\"errors\":" + errors.get()
            + ",\"windowAcked\":" + (long) (marks.get("acked1") - marks.get("acked0"))
            + ",\"windowErrors\":" + (long) (marks.get("errors1") - marks.get("errors0"))
            + ",\"windowRequests\":" + num(marks.get("requests1") - marks.get("requests0"))
            + ",\"windowSeconds\":" + num(seconds)
            + ",\"recordsPerRequestAvg\":" + num(perRequestAvg)
            + ",\"batchSizeAvg\":" + num(batchSizeAvg)
            + ",\"firstError\":" + str(firstError.get())
            + "}");
    System.out.flush();
  }
}
