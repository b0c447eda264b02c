/** Reading digits from IDX (raw or .gz), Keras mnist.npz and 32x32 text-bitmap folders on any Hadoop path, as packed uint8 blocks; the NumPy format, which also carries models (ModelNpz). */
package sparkprop.data;
