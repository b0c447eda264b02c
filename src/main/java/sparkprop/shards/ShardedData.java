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
        examples.checkLabels(classes, source.name(), layout.shardStart(shard));
        return new ShardBlock(shard, layout.shardStart(shard), examples);
    }
}
