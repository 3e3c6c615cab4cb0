import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads records in the Confluent wire format from topics (N in all, from the beginning) and decodes them on its own, with
 * Apache Avro and protobuf-java: the schema id from bytes 1-4 of the value (or from the
 * __value_schema_id header), the schema by id from the registry's Confluent API
 * (GET /schemas/ids/{id}), then the Avro binary (GenericDatumReader, with an optional reader
 * schema for schema resolution), the Protobuf message indexes and message (protoc compiles
 * the schema text into a descriptor, DynamicMessage parses), or the JSON text. Prints one
 * JSON line per record: topic, partition, offset, schemaId, schemaType, messageIndexes, value.
 *
 * Usage: java -cp '.kafka/lib/*:.registry/lib/*' ConfluentWireReader.java
 *   --bootstrap HOST:PORT --topics T1,T2 --count N --registry URL --protoc PATH
 *   [--reader-schema FILE] [--timeout-ms MS]
 */
public class ConfluentWireReader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Map<Integer, JsonNode> SCHEMAS = new HashMap<>();
  private static final Map<Integer, FileDescriptor> PROTO_FILES = new HashMap<>();

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i], argv[i + 1]);
    String[] topics = args.get("--topics").split(",");
    int count = Integer.parseInt(args.get("--count"));
    long timeoutMs = Long.parseLong(args.getOrDefault("--timeout-ms", "30000"));
    String registry = args.get("--registry");
    String protoc = args.get("--protoc");
    Schema readerSchema =
        args.containsKey("--reader-schema")
            ? new Schema.Parser().parse(Files.readString(Path.of(args.get("--reader-schema"))))
            : null;

    Properties props = new Properties();
    props.put("bootstrap.servers", args.get("--bootstrap"));
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("enable.auto.commit", "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      int read = 0;
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (read < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (read++ >= count) break;
          System.out.println(JSON.writeValueAsString(decode(record, registry, protoc, readerSchema)));
        }
      }
      if (read < count) throw new IllegalStateException("read " + read + " of " + count + " records");
    }
  }

  private static ObjectNode decode(ConsumerRecord<byte[], byte[]> record, String registry, String protoc, Schema readerSchema)
      throws Exception {
    ByteBuffer value = ByteBuffer.wrap(record.value());
    Header header = record.headers().lastHeader("__value_schema_id");
    ByteBuffer id = header != null ? ByteBuffer.wrap(header.value()) : value;
    if (id.get() != 0) throw new IllegalArgumentException("magic byte is not 0 at offset " + record.offset());
    int schemaId = id.getInt();
    JsonNode schema = schemaById(registry, schemaId);
    String type = schema.has("schemaType") ? schema.get("schemaType").asText() : "AVRO";
    ObjectNode out = JSON.createObjectNode();
    out.put("topic", record.topic());
    out.put("partition", record.partition());
    out.put("offset", record.offset());
    out.put("schemaId", schemaId);
    out.put("schemaType", type);
    out.put("idInHeader", header != null);
    String text = schema.get("schema").asText();
    if (type.equals("AVRO")) {
      Schema writer = new Schema.Parser().parse(text);
      GenericDatumReader<Object> reader = new GenericDatumReader<>(writer, readerSchema != null ? readerSchema : writer);
      Object decoded =
          reader.read(null, DecoderFactory.get().binaryDecoder(value.array(), value.position(), value.remaining(), null));
      out.set("value", JSON.readTree(GenericData.get().toString(decoded)));
    } else if (type.equals("PROTOBUF")) {
      List<Integer> indexes = readIndexes(id);
      ArrayNode list = out.putArray("messageIndexes");
      indexes.forEach(list::add);
      Descriptor descriptor = messageType(protoFile(schemaId, text, protoc), indexes);
      out.put("messageType", descriptor.getFullName());
      ByteBuffer message = header != null ? value : id;
      byte[] bytes = new byte[message.remaining()];
      message.get(bytes);
      out.set("value", toJson(DynamicMessage.parseFrom(descriptor, bytes)));
    } else {
      out.set("value", JSON.readTree(new String(value.array(), value.position(), value.remaining(), StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static JsonNode schemaById(String registry, int id) throws Exception {
    JsonNode cached = SCHEMAS.get(id);
    if (cached != null) return cached;
    HttpRequest request = HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id)).build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) throw new IllegalStateException("schema " + id + ": HTTP " + response.statusCode());
    JsonNode schema = JSON.readTree(response.body());
    SCHEMAS.put(id, schema);
    return schema;
  }

  /** Kafka's ByteUtils.readVarint: zigzag-encoded. */
  private static int readVarint(ByteBuffer buffer) {
    int value = 0;
    int shift = 0;
    int b;
    do {
      b = buffer.get() & 0xff;
      value |= (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    return (value >>> 1) ^ -(value & 1);
  }

  /** Confluent's message indexes: a count (0 means [0]), then each index. */
  private static List<Integer> readIndexes(ByteBuffer buffer) {
    int size = readVarint(buffer);
    List<Integer> indexes = new ArrayList<>();
    if (size == 0) indexes.add(0);
    for (int i = 0; i < size; i++) indexes.add(readVarint(buffer));
    return indexes;
  }

  private static FileDescriptor protoFile(int id, String text, String protoc) throws Exception {
    FileDescriptor cached = PROTO_FILES.get(id);
    if (cached != null) return cached;
    Path dir = Files.createTempDirectory("wire-reader-");
    Files.writeString(dir.resolve("schema.proto"), text);
    Process run =
        new ProcessBuilder(protoc, "--descriptor_set_out=" + dir.resolve("schema.desc"), "-I" + dir, "schema.proto")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (run.waitFor() != 0) throw new IllegalStateException("protoc failed: " + output);
    FileDescriptorSet set = FileDescriptorSet.parseFrom(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("schema.desc"))));
    FileDescriptor file = FileDescriptor.buildFrom(set.getFile(0), new FileDescriptor[0]);
    PROTO_FILES.put(id, file);
    return file;
  }

  private static Descriptor messageType(FileDescriptor file, List<Integer> indexes) {
    Descriptor descriptor = file.getMessageTypes().get(indexes.get(0));
    for (int i = 1; i < indexes.size(); i++) descriptor = descriptor.getNestedTypes().get(indexes.get(i));
    return descriptor;
  }

  /** The message's set fields by JSON name (camelCase); 64-bit integers as text, bytes as base64. */
  private static ObjectNode toJson(DynamicMessage message) {
    ObjectNode node = JSON.createObjectNode();
    for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
      FieldDescriptor field = entry.getKey();
      if (field.isMapField()) {
        ObjectNode map = node.putObject(field.getJsonName());
        for (Object item : (List<?>) entry.getValue()) {
          DynamicMessage pair = (DynamicMessage) item;
          FieldDescriptor keyField = pair.getDescriptorForType().findFieldByName("key");
          FieldDescriptor valueField = pair.getDescriptorForType().findFieldByName("value");
          map.set(String.valueOf(pair.getField(keyField)), scalar(valueField, pair.getField(valueField)));
        }
      } else if (field.isRepeated()) {
        ArrayNode list = node.putArray(field.getJsonName());
        for (Object item : (List<?>) entry.getValue()) list.add(scalar(field, item));
      } else {
        node.set(field.getJsonName(), scalar(field, entry.getValue()));
      }
    }
    return node;
  }

  private static JsonNode scalar(FieldDescriptor field, Object value) {
    if (value instanceof DynamicMessage) return toJson((DynamicMessage) value);
    if (value instanceof EnumValueDescriptor) return JSON.getNodeFactory().textNode(((EnumValueDescriptor) value).getName());
    if (value instanceof ByteString) return JSON.getNodeFactory().textNode(Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()));
    if (value instanceof Long) return JSON.getNodeFactory().textNode(value.toString());
    return JSON.valueToTree(value);
  }
}
