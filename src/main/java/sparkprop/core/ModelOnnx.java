package sparkprop.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A model as an ONNX graph, for serving outside Spark (ONNX Runtime in Java, Python, C++, ...).
 * Input {@code features}: float (N, width), N symbolic. The model's input scaling is a {@code Mul}
 * by the same float32 factor training multiplies by, then per layer {@code Gemm} (W of shape
 * (in, out), as stored) and its activation ({@code Relu}, {@code Sigmoid}, {@code Tanh}, nothing
 * for identity, {@code Softmax} on axis 1 for a softmax output). Outputs: {@code probabilities}
 * (N, classes), the network's outputs as {@link Model#predict} gives them, and {@code class}
 * (int64, N) by {@code ArgMax}. IR version 8, opset 17: what ONNX 1.12's checker accepts and
 * ONNX Runtime runs.
 *
 * <p>The protobuf messages are written by hand: an MLP needs a handful of fields, and a protobuf
 * library would put a second protobuf-java beside Spark's. Field numbers are onnx.proto3's.
 */
public final class ModelOnnx {
    static final long IR_VERSION = 8, OPSET = 17;
    private static final int FLOAT = 1, INT64 = 7; // TensorProto.DataType
    private static final int ATTRIBUTE_INT = 2; // AttributeProto.AttributeType

    private ModelOnnx() {
    }

    public static byte[] write(Model model) {
        NetworkSpec spec = model.spec();
        Proto graph = new Proto();
        String x = "features";
        if (model.input().scale() != 1f) {
            graph.message(5, tensor("input_scale", new long[]{}, new float[]{model.input().scale()}));
            graph.message(1, node("scale_inputs", "Mul", new String[]{x, "input_scale"}, "scaled", null, 0));
            x = "scaled";
        }
        float[] p = model.params();
        for (int l = 0; l < spec.layerCount(); l++) {
            int in = spec.in(l), out = spec.out(l), n = l + 1;
            float[] w = java.util.Arrays.copyOfRange(p, spec.weightOffset(l), spec.weightOffset(l) + in * out);
            float[] b = java.util.Arrays.copyOfRange(p, spec.biasOffset(l), spec.biasOffset(l) + out);
            graph.message(5, tensor("W" + n, new long[]{in, out}, w));
            graph.message(5, tensor("b" + n, new long[]{out}, b));
            boolean last = l == spec.layerCount() - 1;
            Activation f = spec.activation(l);
            String z = last && f == Activation.IDENTITY ? "probabilities" : "z" + n;
            graph.message(1, node("layer" + n, "Gemm", new String[]{x, "W" + n, "b" + n}, z, null, 0));
            String a = last ? "probabilities" : "a" + n;
            switch (f) {
                case RELU -> graph.message(1, node("relu" + n, "Relu", new String[]{z}, a, null, 0));
                case SIGMOID -> graph.message(1, node("sigmoid" + n, "Sigmoid", new String[]{z}, a, null, 0));
                case TANH -> graph.message(1, node("tanh" + n, "Tanh", new String[]{z}, a, null, 0));
                case SOFTMAX -> graph.message(1, node("softmax", "Softmax", new String[]{z}, a, "axis", 1));
                case IDENTITY -> a = z;
            }
            x = a;
        }
        graph.message(1, argMax(x));
        graph.string(2, "sparkprop " + spec.describeSizes());
        graph.message(11, valueInfo("features", FLOAT, spec.inputSize()));
        graph.message(12, valueInfo("probabilities", FLOAT, spec.outputSize()));
        graph.message(12, valueInfo("class", INT64, -1));

        Proto opset = new Proto().string(1, "").varint(2, OPSET);
        return new Proto().varint(1, IR_VERSION).string(2, "sparkprop").string(3, "0.1.0").message(7, graph).message(8, opset).bytes();
    }

    private static Proto argMax(String probabilities) {
        Proto node = node("predicted_class", "ArgMax", new String[]{probabilities}, "class", "axis", 1);
        return node.message(5, new Proto().string(1, "keepdims").varint(3, 0).varint(20, ATTRIBUTE_INT));
    }

    private static Proto node(String name, String op, String[] inputs, String output, String intAttribute, long value) {
        Proto node = new Proto();
        for (String in : inputs) node.string(1, in);
        node.string(2, output).string(3, name).string(4, op);
        if (intAttribute != null) node.message(5, new Proto().string(1, intAttribute).varint(3, value).varint(20, ATTRIBUTE_INT));
        return node;
    }

    private static Proto tensor(String name, long[] dims, float[] values) {
        Proto t = new Proto();
        for (long d : dims) t.varint(1, d);
        t.varint(2, FLOAT).string(8, name);
        byte[] raw = new byte[4 * values.length];
        java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        return t.field(9, raw);
    }

    /** A tensor of (N, width) with N symbolic, or of (N) when width is negative. */
    private static Proto valueInfo(String name, int type, int width) {
        Proto shape = new Proto().message(1, new Proto().string(2, "N"));
        if (width >= 0) shape.message(1, new Proto().varint(1, width));
        Proto tensorType = new Proto().varint(1, type).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** A protobuf message being written: varints and length-delimited fields, in the order given. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            key(field, 0);
            raw(value);
            return this;
        }

        Proto string(int field, String value) {
            return field(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return field(field, message.bytes());
        }

        Proto field(int field, byte[] value) {
            key(field, 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void key(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
