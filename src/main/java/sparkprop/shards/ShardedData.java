package sparkprop.shards;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;
import sparkprop.data.ExampleSource;
import sparkprop.data.Examples;

/**
 * Builds the cached RDD of shard blocks. For a splittable source (raw IDX) each task reads the
 * byte ranges of its own shards, so the driver touches only headers. Anything else (.gz, .npz,
 * bitmaps) is read whole by one task and its shards are then spread over the partitions.
 */
public final class ShardedData {
    private ShardedData() {
    }

    public static JavaRDD<ShardBlock> load(JavaSparkContext sc, ExampleSource source, ShardLayout layout, int classes, HadoopConf conf) {
        JavaRDD<ShardBlock> blocks;
        if (source.splittable()) {
            List<Integer> partitions = new ArrayList<>();
            for (int p = 0; p < layout.partitions(); p++) partitions.add(p);
            blocks = sc.parallelize(partitions, layout.partitions()).flatMap(p -> {
                List<ShardBlock> mine = new ArrayList<>();
                for (int s = layout.firstShard(p); s < layout.endShard(p); s++) {
                    mine.add(readShard(source, layout, s, classes, conf, source.read(conf.toConfiguration(), layout.shardStart(s), layout.shardSize(s))));
                }
                return mine.iterator();
            });
        } else {
            blocks = sc.parallelize(List.of(0), 1).flatMapToPair(ignored -> {
                Examples all = source.read(conf.toConfiguration(), 0, source.count());
                List<Tuple2<Integer, ShardBlock>> out = new ArrayList<>();
                for (int s = 0; s < layout.shards(); s++) {
                    Examples part = all.slice(layout.shardStart(s), layout.shardSize(s));
                    out.add(new Tuple2<>(layout.partitionOf(s), readShard(source, layout, s, classes, conf, part)));
                }
                return out.iterator();
            }).partitionBy(new HashPartitioner(layout.partitions())).values();
        }
        return ShardCache.persist(blocks, source.name());
    }

    private static ShardBlock readShard(ExampleSource source, ShardLayout layout, int shard, int classes, HadoopConf conf, Examples examples) {
        examples.checkLabels(classes, source.labelsName(), layout.shardStart(shard));
        return new ShardBlock(shard, layout.shardStart(shard), examples);
    }

    /** How many examples blocks hold, and their {@link #digest}. */
    public record Digest(long examples, byte[] sha256) {
    }

    /**
     * A digest of every example in {@code blocks}, whatever the shards and partitions: each example's CRC-32C (its
     * pixels or values, its label) is mixed with its index and the mixes added, an order-free sum, then hashed with
     * the count and width. One pass over the cached blocks, at memory speed.
     */
    public static Digest digest(JavaRDD<ShardBlock> blocks) {
        List<long[]> parts = blocks.map(b -> {
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            Examples e = b.examples();
            int w = e.width();
            java.nio.ByteBuffer floats = e.isUint8() ? null : java.nio.ByteBuffer.allocate(4 * w).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long sum = 0;
            for (int i = 0; i < e.count(); i++) {
                crc.reset();
                if (e.isUint8()) crc.update(e.pixels(), i * w, w);
                if (floats != null) {
                    floats.clear();
                    floats.asFloatBuffer().put(e.values(), i * w, w);
                    crc.update(floats);
                }
                crc.update(e.labels()[i]);
                sum += mix(((long) (b.firstExample() + i) << 32) ^ crc.getValue());
            }
            return new long[]{e.count(), w, sum};
        }).collect();
        long examples = 0, width = 0, sum = 0;
        for (long[] p : parts) {
            examples += p[0];
            width = Math.max(width, p[1]);
            sum += p[2];
        }
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(java.nio.ByteBuffer.allocate(24).putLong(examples).putLong(width).putLong(sum).array());
            return new Digest(examples, sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SplitMix64's finaliser: spreads the bits, so a sum of mixes does not cancel like a sum of raw values. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
