package sparkprop.data;

import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;

/**
 * One split (train or test) of a dataset on a Hadoop filesystem: its size, and how to read a
 * range of it. Created on the driver from headers only; {@link #read} runs on executors.
 */
public interface ExampleSource extends Serializable {
    /** Where the data is, for messages. */
    String name();

    /** Where the labels are, for messages about a label: the labels file of an IDX pair, else {@link #name}. */
    default String labelsName() {
        return name();
    }

    int count();

    /** Pixels per example: 784 for MNIST, 1024 for the 32x32 bitmaps. */
    int width();

    /** True when {@link #read} touches only the bytes of its range (raw IDX); false when it must read everything. */
    boolean splittable();

    /** Examples [first, first + n). */
    Examples read(Configuration conf, int first, int n) throws IOException;
}
