/** The commands (train, gradcheck, ...) that wire configuration, data, the Spark job and run folders together. */
package sparkprop.cli;
