package sparkprop.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.MinMaxScaler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.cli.Main;
import sparkprop.core.BadInputException;
import sparkprop.core.ModelFile;
import sparkprop.data.Examples;
import sparkprop.data.Fixtures;
import sparkprop.storage.MiniHdfs;

/** The spark.ml Estimator: the CLI's bits from a DataFrame, Pipelines, CrossValidator, persistence. */
class NeuralNetClassifierTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path mnist;
    static Dataset<Row> train;
    static Dataset<Row> test;

    static Path cliRun;

    @BeforeAll
    static void start() throws Exception {
        mnist = Fixtures.syntheticMnist(dir.resolve("mnist"), 2000, 400, 28, false, 9);
        // The command line first: it starts and stops its own Spark context.
        cliRun = dir.resolve("cli-run");
        assertEquals(0, Main.run("train", "--data", mnist.toString(), "--layers", "784,32,10", "--epochs", "2", "--batch-size", "100",
                "--shards", "4", "--seed", "5", "--learning-rate", "0.1", "--master", "local[2]", "--out", cliRun.toString()));
        spark = SparkSession.builder().master("local[2]").appName("sparkprop-ml-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        sparkprop.data.Dataset files = sparkprop.data.Dataset.open(mnist.toString(), new Configuration());
        train = table(files.train().read(new Configuration(), 0, files.train().count()));
        test = table(files.test().read(new Configuration(), 0, files.test().count()));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Examples as a table in their order: label (double), features (0..255 as doubles). */
    static Dataset<Row> table(Examples e) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < e.count(); i++) {
            double[] v = new double[e.width()];
            for (int k = 0; k < v.length; k++) v[k] = e.pixels()[i * e.width() + k] & 0xFF;
            rows.add(RowFactory.create((double) e.label(i), Vectors.dense(v)));
        }
        StructType schema = new StructType(new StructField[]{DataTypes.createStructField("label", DataTypes.DoubleType, false),
                DataTypes.createStructField("features", SQLDataTypes.VectorType(), false)});
        return spark.createDataFrame(rows, schema);
    }

    static NeuralNetClassifier small() {
        return new NeuralNetClassifier().setLayers(new int[]{784, 32, 10}).setMaxIter(2).setBatchSize(100).setShards(4).setSeed(5)
                .setStepSize(0.1);
    }

    @Test
    void aDataFrameOfTheSameExamplesTrainsToTheBitsOfScriptsTrain() throws Exception {
        Path out = cliRun;
        NeuralNetClassificationModel model = small().fit(train);
        assertEquals("uint8/255", model.network().input().id());
        assertArrayEquals(Files.readAllBytes(out.resolve("model.bin")), ModelFile.encode(model.network()));
        // And on 3 partitions instead of 2: the same bits.
        assertArrayEquals(ModelFile.encode(model.network()), ModelFile.encode(small().setPartitions(3).fit(train).network()));
        // Steps in one stage per epoch (two partitions on two cores) or a job each: the same bits.
        assertArrayEquals(ModelFile.encode(small().setSync("stage").fit(train).network()),
                ModelFile.encode(small().setSync("jobs").fit(train).network()));
        BadInputException tooMany = assertThrows(BadInputException.class, () -> small().setSync("stage").setPartitions(3).fit(train));
        assertTrue(tooMany.getMessage().startsWith("--sync stage: the data is in 3 partitions"), tooMany.getMessage());
    }

    /** 2000 rows: batchSize and stepSize left unset fit the size as on the command line (batch 32, rate 0.4 x sqrt(32/512)). */
    @Test
    void unsetBatchAndRateFitTheTablesSize() {
        NeuralNetClassifier unset = new NeuralNetClassifier().setLayers(new int[]{784, 32, 10}).setMaxIter(1).setSeed(5);
        NeuralNetClassificationModel fitted = unset.fit(train);
        NeuralNetClassificationModel explicit = unset.copy(new org.apache.spark.ml.param.ParamMap()).setBatchSize(32).setStepSize(0.1).fit(train);
        assertArrayEquals(ModelFile.encode(explicit.network()), ModelFile.encode(fitted.network()));
        NeuralNetClassificationModel shipped = unset.copy(new org.apache.spark.ml.param.ParamMap()).setBatchSize(512).setStepSize(0.4).fit(train);
        assertTrue(!java.util.Arrays.equals(ModelFile.encode(shipped.network()), ModelFile.encode(fitted.network())), "set values are kept");
    }

    @Test
    void insideAPipelineWithCrossValidationAndSavedModelsThatPredictTheSame() throws Exception {
        // MinMaxScaler makes the features floats in [0, 1]: the float32 path.
        MinMaxScaler scaler = new MinMaxScaler().setInputCol("features").setOutputCol("scaled");
        NeuralNetClassifier nn = small().setMaxIter(3);
        nn.setFeaturesCol("scaled");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{scaler, nn});
        // Two maps, each setting both params: 5 fits (2 folds x 2 maps, then the best on all) instead of 9, the same checks.
        ParamMap[] grid = new ParamGridBuilder().addGrid(nn.stepSize(), new double[]{0.05, 0.2}).addGrid(nn.batchSize(), new int[]{100}).build();
        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid).setEvaluator(accuracy).setNumFolds(2)
                .setSeed(3).fit(train);
        assertEquals(2, cv.avgMetrics().length);
        double best = accuracy.evaluate(cv.transform(test));
        System.out.printf("2x1 grid, 2 folds: mean accuracies %s, best model on test %.4f%n", java.util.Arrays.toString(cv.avgMetrics()), best);
        assertTrue(best > 0.5, "learns something: " + best);
        PipelineModel bestPipeline = (PipelineModel) cv.bestModel();
        NeuralNetClassificationModel fitted = (NeuralNetClassificationModel) bestPipeline.stages()[1];
        assertEquals("float32", fitted.network().input().id());

        String cvPath = dir.resolve("cv").toString(), pipelinePath = dir.resolve("pipeline").toString();
        cv.write().overwrite().save(cvPath);
        bestPipeline.write().overwrite().save(pipelinePath);
        List<Row> expected = bestPipeline.transform(test).select("prediction", "probability").collectAsList();
        assertEquals(expected, PipelineModel.load(pipelinePath).transform(test).select("prediction", "probability").collectAsList());
        assertEquals(expected, CrossValidatorModel.load(cvPath).transform(test).select("prediction", "probability").collectAsList());
    }

    /**
     * A model saved by this project on Spark 4.1.0 (src/test/resources/spark41-model, made with the jar of
     * commit 57ac945 by a 3-epoch fit of 40 rows, its probabilities of those rows beside it) loads on the Spark
     * the build now pins and gives the same probabilities.
     */
    @Test
    void aModelSavedOnSpark41LoadsAndScoresAsItDid() throws Exception {
        Path saved = Path.of(getClass().getResource("/spark41-model/model").toURI());
        NeuralNetClassificationModel back = NeuralNetClassificationModel.load(saved.toString());
        List<Row> rows = new ArrayList<>();
        List<double[]> expected = new ArrayList<>();
        for (String line : Files.readAllLines(saved.resolveSibling("expected.txt"))) {
            String[] halves = line.split("\t");
            rows.add(RowFactory.create(Vectors.dense(numbers(halves[0]))));
            expected.add(numbers(halves[1]));
        }
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType());
        List<Row> scored = back.transform(spark.createDataFrame(rows, schema)).select("probability").collectAsList();
        assertEquals(40, scored.size());
        for (int i = 0; i < scored.size(); i++) {
            assertArrayEquals(expected.get(i), ((org.apache.spark.ml.linalg.Vector) scored.get(i).get(0)).toArray(), 1e-6, "row " + i);
        }
    }

    private static double[] numbers(String bracketed) {
        return java.util.Arrays.stream(bracketed.replaceAll("[\\[\\]]", "").split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).toArray();
    }

    @Test
    void transformAgreesWithTheSingleRowApiAndSavesToHdfs() throws Exception {
        NeuralNetClassificationModel model = small().setMaxIter(1).fit(train);
        List<Row> rows = model.setBlockSize(7).transform(test).select("features", "rawPrediction", "probability", "prediction").collectAsList();
        assertEquals(400, rows.size());
        for (Row r : rows.subList(0, 20)) {
            org.apache.spark.ml.linalg.Vector raw = model.predictRaw((org.apache.spark.ml.linalg.Vector) r.get(0));
            // A block of 7 rows and a single row go through different sgemm paths (with the pinned Haswell kernel they
            // round differently: 9.7286757e-15 against 9.7287130e-15), so the agreement is to float precision, not bits.
            double[] single = raw.toArray(), batched = ((org.apache.spark.ml.linalg.Vector) r.get(1)).toArray();
            for (int c = 0; c < single.length; c++) assertEquals(single[c], batched[c], 1e-5 * Math.max(Math.abs(single[c]), 1e-30), "class " + c);
            assertEquals(model.predict((org.apache.spark.ml.linalg.Vector) r.get(0)), r.getDouble(3));
        }
        String path = MiniHdfs.uri("/ml/model");
        model.write().overwrite().save(path);
        NeuralNetClassificationModel back = NeuralNetClassificationModel.load(path);
        assertArrayEquals(ModelFile.encode(model.network()), ModelFile.encode(back.network()));
        assertEquals(model.uid(), back.uid());
        assertEquals(7, back.getOrDefault(back.blockSize()));
        assertTrue(MiniHdfs.fs().exists(new org.apache.hadoop.fs.Path(path + "/data/model.bin")));
    }

    @Test
    void badColumnsAndValuesAreOneClearMessage() {
        BadInputException size = assertThrows(BadInputException.class, () -> small().setLayers(new int[]{783, 8, 10}).fit(train));
        assertTrue(size.getMessage().startsWith("featuresCol 'features': row 0 has 784 values but layers[0] is 783"), size.getMessage());
        BadInputException label = assertThrows(BadInputException.class, () -> small().setLayers(new int[]{784, 8, 3}).fit(train));
        assertTrue(label.getMessage().contains("labelCol 'label': value ") && label.getMessage().contains("is not a class index 0..2"),
                label.getMessage());
        // 300 classes do not fit the one-byte labels: refused by name instead of wrapping label 300 to 44.
        BadInputException wide = assertThrows(BadInputException.class, () -> small().setLayers(new int[]{784, 8, 301}).fit(train));
        assertTrue(wide.getMessage().contains("301 outputs, but at most 256 classes"), wide.getMessage());
        NeuralNetClassifier noColumn = small();
        noColumn.setFeaturesCol("pixels");
        BadInputException column = assertThrows(BadInputException.class, () -> noColumn.fit(train));
        assertTrue(column.getMessage().startsWith("featuresCol 'pixels': no such column"), column.getMessage());
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class, () -> small().setStepSize(-1));
        assertTrue(rate.getMessage().endsWith("parameter stepSize given invalid value -1.0."), rate.getMessage());
        BadInputException option = assertThrows(BadInputException.class, () -> small().setOption("no-such", "1"));
        assertTrue(option.getMessage().startsWith("no-such: not a hyperparameter"), option.getMessage());
    }

    /**
     * transform and evaluate refuse the rows fit refuses (null features, NaN, infinite, beyond float32's range), naming
     * the column, the value and its position, instead of scoring them as class 0 or failing with a NullPointerException.
     */
    @Test
    void scoringRefusesTheRowsFitRefuses() {
        NeuralNetClassificationModel model = small().setMaxIter(1).fit(train);
        double[] good = new double[784];
        StructType schema = new StructType(new StructField[]{DataTypes.createStructField("label", DataTypes.DoubleType, false),
                DataTypes.createStructField("features", SQLDataTypes.VectorType(), true)});
        Object[][] cases = {{Double.NaN, "a row holds NaN at position 3 (a missing or non-numeric value)"},
                {Double.POSITIVE_INFINITY, "a row holds Infinity at position 3"},
                {1e39, "a row holds 1.0E39 at position 3 (beyond float32's range, +-3.4e38)"},
                {null, "a row has no features (null)"}};
        for (Object[] c : cases) {
            double[] bad = good.clone();
            if (c[0] != null) bad[3] = (Double) c[0];
            Dataset<Row> rows = spark.createDataFrame(List.of(RowFactory.create(1.0, Vectors.dense(good)),
                    RowFactory.create(2.0, c[0] == null ? null : Vectors.dense(bad))), schema);
            Exception scored = assertThrows(Exception.class, () -> model.transform(rows).collectAsList());
            assertTrue(scored.getMessage().contains("featuresCol 'features': " + c[1]), scored.getMessage());
            Exception evaluated = assertThrows(Exception.class, () -> model.evaluate(rows));
            assertTrue(evaluated.getMessage().contains(String.valueOf(c[1])), evaluated.getMessage());
            if (c[0] != null) {
                BadInputException one = assertThrows(BadInputException.class, () -> model.predictRaw(Vectors.dense(bad)));
                assertTrue(one.getMessage().contains(String.valueOf(c[1])), one.getMessage());
            }
        }
    }

    /** A Spark Connect server finds estimators and models through ServiceLoader; both classes are listed, as MLlib's are. */
    /** Spark lists a Params' params by its public methods: an option without one could not be set ("does not belong"). */
    @Test
    void everyHyperparameterIsADeclaredParam() {
        NeuralNetClassifier nn = new NeuralNetClassifier();
        for (sparkprop.train.Options.Option<?> o : sparkprop.train.Options.ALL) {
            if (o.scope() != sparkprop.train.Options.Scope.MODEL) continue;
            String name = NeuralNetParams.paramName(o.key());
            assertTrue(nn.hasParam(name), "no public " + name + "() for --" + o.key());
        }
        assertEquals("shift=2", nn.setAugment("shift=2").getOrDefault(nn.augment()));
    }

    @Test
    void serviceLoaderListsTheEstimatorAndTheModel() {
        java.util.List<Class<?>> estimators = java.util.ServiceLoader.load(org.apache.spark.ml.Estimator.class).stream()
                .map(java.util.ServiceLoader.Provider::type).collect(java.util.stream.Collectors.toList());
        java.util.List<Class<?>> transformers = java.util.ServiceLoader.load(org.apache.spark.ml.Transformer.class).stream()
                .map(java.util.ServiceLoader.Provider::type).collect(java.util.stream.Collectors.toList());
        assertTrue(estimators.contains(NeuralNetClassifier.class), "estimators: " + estimators.size());
        assertTrue(transformers.contains(NeuralNetClassificationModel.class), "transformers: " + transformers.size());
        assertTrue(transformers.contains(org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel.class), "MLlib's are found too");
    }

    /**
     * transform keeps every column's metadata: its output schema is transformSchema's, and on a
     * stream the event-time column keeps its watermark, so a windowed count in append mode after it
     * runs (it was refused as "without watermark") and emits a window once the watermark passes it.
     */
    @Test
    void transformKeepsColumnMetadataSoAWatermarkedStreamCanAggregate() throws Exception {
        NeuralNetClassificationModel model = new NeuralNetClassificationModel("stream", sparkprop.core.Model.load(cliRun.resolve("model.bin")));
        org.apache.spark.sql.types.Metadata note = new org.apache.spark.sql.types.MetadataBuilder().putString("source", "camera 3").build();
        Dataset<Row> described = test.withColumn("label", test.col("label").as("label", note));
        assertEquals(model.transformSchema(described.schema()), model.transform(described).schema());
        assertEquals("camera 3", model.transform(described).schema().apply("label").metadata().getString("source"));

        Path incoming = dir.resolve("stream-in");
        List<Row> first = test.limit(20).collectAsList();
        StructType schema = new StructType().add("ts", DataTypes.TimestampType).add("features", SQLDataTypes.VectorType());
        writeBatch(incoming.resolve("part-1"), first, schema, java.sql.Timestamp.valueOf("2026-01-01 10:00:10"));
        Dataset<Row> stream = spark.readStream().schema(schema).parquet(incoming.toString()).withWatermark("ts", "1 minute");
        Dataset<Row> counts = model.transform(stream)
                .groupBy(org.apache.spark.sql.functions.window(org.apache.spark.sql.functions.col("ts"), "1 minute"))
                .count();
        org.apache.spark.sql.streaming.StreamingQuery query = counts.writeStream().outputMode("append").format("memory").queryName("windowed")
                .option("checkpointLocation", dir.resolve("stream-checkpoint").toString()).start();
        try {
            query.processAllAvailable();
            // Rows ten minutes later move the watermark past the first window, which is then final.
            writeBatch(incoming.resolve("part-2"), test.limit(3).collectAsList(), schema, java.sql.Timestamp.valueOf("2026-01-01 10:10:00"));
            query.processAllAvailable();
            writeBatch(incoming.resolve("part-3"), test.limit(1).collectAsList(), schema, java.sql.Timestamp.valueOf("2026-01-01 10:11:00"));
            query.processAllAvailable();
        } finally {
            query.stop();
        }
        List<Row> windows = spark.sql("select count from windowed").collectAsList();
        assertEquals(1, windows.size(), windows.toString());
        assertEquals(20L, windows.get(0).getLong(0));
    }

    /** Writes rows stamped {@code ts} as one Parquet file that appears in {@code target}'s folder whole, as a file source expects. */
    private static void writeBatch(Path target, List<Row> rows, StructType schema, java.sql.Timestamp ts) throws Exception {
        List<Row> stamped = new ArrayList<>();
        for (Row r : rows) stamped.add(RowFactory.create(ts, r.get(1)));
        Path staging = target.resolveSibling("." + target.getFileName() + "-staging");
        spark.createDataFrame(stamped, schema).coalesce(1).write().parquet(staging.toString());
        Files.createDirectories(target.getParent());
        try (java.util.stream.Stream<Path> files = Files.list(staging)) {
            Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.move(part, target.resolveSibling(target.getFileName() + ".parquet"));
        }
    }

    /** Every job of a fit, as Spark's listener sees it: description, job group and tags. */
    record JobSeen(String description, String group, String tags) {
    }

    static List<JobSeen> recordJobs(Runnable work) throws Exception {
        List<JobSeen> jobs = java.util.Collections.synchronizedList(new ArrayList<>());
        org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
                java.util.Properties p = start.properties();
                jobs.add(new JobSeen(p.getProperty("spark.job.description"), p.getProperty("spark.jobGroup.id"), p.getProperty("spark.job.tags")));
            }
        };
        spark.sparkContext().addSparkListener(listener);
        try {
            work.run();
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        return new ArrayList<>(jobs);
    }

    /**
     * A fit describes every job it runs for the Spark UI and tags it, around the caller's own
     * description, job group and tags, which are as they were afterwards.
     */
    @Test
    void everyJobOfAFitIsDescribedAndTaggedAndTheCallersLabelsStay() throws Exception {
        org.apache.spark.SparkContext sc = spark.sparkContext();
        sc.setJobGroup("nightly", "the caller's group", false);
        sc.setJobDescription("my pipeline");
        sc.addJobTag("mine");
        try {
            for (String sync : new String[]{"stage", "jobs"}) {
                List<JobSeen> jobs = recordJobs(() -> small().setMaxIter(1).setSync(sync).fit(train));
                assertTrue(jobs.size() > 3, jobs.toString());
                for (JobSeen job : jobs) {
                    assertTrue(job.description() != null && job.description().startsWith("sparkprop "), sync + ": " + job);
                    assertEquals("nightly", job.group(), job.toString());
                    assertTrue(job.tags().contains("mine") && job.tags().contains(NeuralNetClassifier.JOB_TAG), job.toString());
                }
                assertTrue(jobs.stream().anyMatch(j -> j.description().startsWith(sync.equals("stage") ? "sparkprop train: epoch 1/1, its steps in one stage"
                        : "sparkprop train: epoch 1/1, step 20/20")), jobs.toString());
                assertEquals("my pipeline", sc.getLocalProperty("spark.job.description"));
                assertEquals("nightly", sc.getLocalProperty("spark.jobGroup.id"));
                assertEquals(java.util.Set.of("mine"), scala.jdk.javaapi.CollectionConverters.asJava(sc.getJobTags()));
            }
        } finally {
            sc.removeJobTag("mine");
            sc.clearJobGroup();
            sc.setJobDescription(null);
        }
    }

    /**
     * cancelJobsWithTag from another thread stops a fit and the context carries on. Spark cancels
     * only the jobs running at that moment: a call that falls between two jobs (between an epoch's
     * stages, or between two steps' jobs with a job per step; these epochs last milliseconds) finds
     * nothing to cancel, so the caller repeats it until the fit has stopped.
     */
    @Test
    void aFitIsCancelledByItsJobTagAndTheContextStaysUsable() throws Exception {
        for (String sync : new String[]{"stage", "jobs"}) {
            NeuralNetClassifier long_ = small().setMaxIter(500).setSync(sync);
            // Cancel once a training step's job (not a caching one) has started, as the listener sees it.
            java.util.concurrent.CountDownLatch training = new java.util.concurrent.CountDownLatch(1);
            org.apache.spark.scheduler.SparkListener steps = new org.apache.spark.scheduler.SparkListener() {
                @Override
                public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
                    if (String.valueOf(start.properties().getProperty("spark.job.description")).startsWith("sparkprop train: epoch")) {
                        training.countDown();
                    }
                }
            };
            spark.sparkContext().addSparkListener(steps);
            java.util.concurrent.CompletableFuture<NeuralNetClassificationModel> fit =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> long_.fit(train));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            assertTrue(training.await(60, java.util.concurrent.TimeUnit.SECONDS), sync + ": training started");
            spark.sparkContext().removeSparkListener(steps);
            assertTrue(!fit.isDone(), sync + ": still training");
            int calls = 0;
            do {
                spark.sparkContext().cancelJobsWithTag(NeuralNetClassifier.JOB_TAG);
                calls++;
                try {
                    fit.get(1, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    // still running (cancel again), or stopped (checked below)
                }
            } while (!fit.isDone() && System.nanoTime() < deadline);
            System.out.println(sync + ": the fit stopped after " + calls + " cancelJobsWithTag call(s)");
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class, fit::get, sync);
            assertTrue(e.getCause() instanceof sparkprop.train.TrainingCancelledException, sync + ": " + e.getCause());
            assertTrue(e.getCause().getMessage().startsWith("training was cancelled"), e.getCause().getMessage());
            assertEquals(5L, spark.range(5).count(), "the context still runs jobs");
        }
    }

    /**
     * A fitted model carries the fit's history (one value per epoch, the kept epoch) as MLlib's
     * summary does, a loaded one has none; evaluate gives what the evaluate command reports.
     */
    @Test
    void aFittedModelHasItsTrainingSummaryAndEvaluatesADataset() throws Exception {
        NeuralNetClassificationModel model = small().setMaxIter(3).setOption("validation", "200").fit(train);
        assertTrue(model.hasSummary());
        NeuralNetTrainingSummary summary = model.summary();
        assertEquals(3, summary.totalIterations());
        assertEquals(3, summary.objectiveHistory().length);
        assertTrue(summary.objectiveHistory()[2] < summary.objectiveHistory()[0], java.util.Arrays.toString(summary.objectiveHistory()));
        assertTrue(java.util.Arrays.stream(summary.validationAccuracyHistory()).allMatch(a -> a > 0.5 && a <= 1));
        assertTrue(summary.bestEpoch() >= 1 && summary.bestEpoch() <= 3);
        assertTrue(model.copy(new ParamMap()).hasSummary());

        NeuralNetEvaluation evaluation = model.evaluate(test);
        assertEquals(400, evaluation.count());
        org.apache.spark.ml.linalg.Matrix confusion = evaluation.confusionMatrix();
        double diagonal = 0, all = 0;
        for (int i = 0; i < 10; i++) for (int j = 0; j < 10; j++) {
            all += confusion.apply(i, j);
            if (i == j) diagonal += confusion.apply(i, j);
        }
        assertEquals(400.0, all);
        assertEquals(diagonal / 400, evaluation.accuracy(), 1e-12);
        double spark = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(test));
        assertEquals(spark, evaluation.accuracy(), 1e-12);
        double sparkF1 = new MulticlassClassificationEvaluator().setMetricName("weightedFMeasure").evaluate(model.transform(test));
        assertEquals(sparkF1, evaluation.weightedF1(), 1e-9);

        String path = dir.resolve("with-summary").toString();
        model.write().overwrite().save(path);
        assertTrue(!NeuralNetClassificationModel.load(path).hasSummary(), "a loaded model has no summary");
        assertThrows(IllegalStateException.class, () -> NeuralNetClassificationModel.load(path).summary());
    }

    /**
     * validationIndicatorCol, as GBTClassifier's: the marked rows are not trained on (the training
     * losses are those of a fit on the other rows alone), they are scored each epoch, and the kept
     * model is the epoch with the lowest validation loss, whose recorded accuracy the kept model
     * gives on those rows.
     */
    @Test
    void rowsMarkedByTheValidationIndicatorValidateInsteadOfTrain() throws Exception {
        Dataset<Row> marked = train.withColumn("isVal", org.apache.spark.sql.functions.expr("rand(3) < 0.2"));
        marked.cache();
        Dataset<Row> trainOnly = marked.where("not isVal"), validationOnly = marked.where("isVal");
        NeuralNetClassificationModel model = small().setMaxIter(4).setValidationIndicatorCol("isVal").fit(marked);
        NeuralNetClassificationModel plain = small().setMaxIter(4).fit(trainOnly);
        NeuralNetTrainingSummary s = model.summary();
        assertArrayEquals(plain.summary().objectiveHistory(), s.objectiveHistory(), "trained on the unmarked rows alone");
        double[] losses = s.validationLossHistory();
        int best = 0;
        for (int e = 1; e < losses.length; e++) if (losses[e] < losses[best]) best = e;
        assertEquals(best + 1, s.bestEpoch(), java.util.Arrays.toString(losses));
        assertEquals(s.validationAccuracyHistory()[best], model.evaluate(validationOnly).accuracy(), 1e-12);

        BadInputException both = assertThrows(BadInputException.class,
                () -> small().setValidationIndicatorCol("isVal").setOption("validation", "100").fit(marked));
        assertTrue(both.getMessage().contains("not both"), both.getMessage());
        BadInputException notBoolean = assertThrows(BadInputException.class, () -> small().setValidationIndicatorCol("label").fit(marked));
        assertTrue(notBoolean.getMessage().startsWith("validationIndicatorCol 'label': expected a boolean column"), notBoolean.getMessage());
        marked.unpersist();
    }

    /**
     * checkpointPath: a fit keeps a checkpoint per epoch there. A fit interrupted after epoch 3
     * (what the checkpoint before the last is) and run again continues from it and ends in the
     * bits of the uninterrupted fit; a checkpoint of another configuration is refused by name.
     */
    @Test
    void aFitContinuesFromItsCheckpointPathToTheSameBits() throws Exception {
        String whole = MiniHdfs.uri("/ml/checkpoints/whole"), interrupted = MiniHdfs.uri("/ml/checkpoints/interrupted");
        NeuralNetClassificationModel uninterrupted = small().setMaxIter(4).setCheckpointPath(whole).fit(train);
        assertEquals(java.util.Set.of("checkpoint.bin", "checkpoint.previous.bin"), MiniHdfs.names(whole));
        // What a driver lost in epoch 4 leaves: the checkpoint after epoch 3.
        MiniHdfs.fs().mkdirs(new org.apache.hadoop.fs.Path(interrupted));
        org.apache.hadoop.fs.FileUtil.copy(MiniHdfs.fs(), new org.apache.hadoop.fs.Path(whole + "/checkpoint.previous.bin"), MiniHdfs.fs(),
                new org.apache.hadoop.fs.Path(interrupted + "/checkpoint.bin"), false, new Configuration());
        assertEquals(3, sparkprop.train.Checkpoint.decode(MiniHdfs.read(interrupted + "/checkpoint.bin"), "c").state().epochsDone());
        NeuralNetClassificationModel continued = small().setMaxIter(4).setCheckpointPath(interrupted).fit(train);
        assertArrayEquals(uninterrupted.network().params(), continued.network().params());
        assertArrayEquals(uninterrupted.summary().objectiveHistory(), continued.summary().objectiveHistory());

        BadInputException other = assertThrows(BadInputException.class, () -> small().setMaxIter(5).setCheckpointPath(whole).fit(train));
        assertTrue(other.getMessage().contains("holds the checkpoint of another fit (epochs 4 there, 5 here)"), other.getMessage());
    }
}
