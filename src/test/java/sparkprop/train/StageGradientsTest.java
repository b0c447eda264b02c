package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkprop.core.BadInputException;
import sparkprop.data.Dataset;
import sparkprop.data.Fixtures;
import sparkprop.exchange.Transport;

/**
 * The steps of an epoch in one gang-scheduled stage: the same bits as a job per step with every
 * feature that touches a step, the fallback where the stage cannot run, a task killed mid-epoch,
 * and the exchange refusing what is not this run's.
 */
class StageGradientsTest {
    static JavaSparkContext sc;
    @TempDir
    static Path dir;
    static Dataset data;

    /** Everything that touches a step or an epoch's end: hold-out, both dropouts, max-norm, the average, distortions. */
    static final String[] EVERYTHING = {"layers", "64,20,10", "shards", "4", "batch-size", "32", "epochs", "3", "seed", "3",
            "validation", "40", "input-dropout", "0.1", "dropout", "0.2", "max-norm", "2.5", "ema", "0.9",
            "augment", "shift=1,rotate=10,elastic-alpha=6,elastic-sigma=1.5", "partitions", "2"};

    @BeforeAll
    static void start() throws Exception {
        sc = SparkTestContext.start("local[2]");
        data = Dataset.open(Fixtures.syntheticMnist(dir.resolve("data"), 500, 100, 8, false, 6).toString(), new Configuration());
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    static TrainingResult train(JavaSparkContext context, Sync mode, TrainingListener listener, String... settings) {
        Trainer trainer = TestConfigs.trainer(context, data, settings);
        return trainer.run(trainer.initialState(), listener, Integer.MAX_VALUE, mode);
    }

    @Test
    void theStageAndAJobPerStepTrainTheSameBits() {
        Trainer trainer = TestConfigs.trainer(sc, data, EVERYTHING);
        assertEquals(new Sync.Choice(Sync.STAGE, null), trainer.chooseSync(Sync.AUTO), "two partitions fit two cores");
        TrainingResult stage = train(sc, Sync.STAGE, new TrainingListener() { }, EVERYTHING);
        TrainingResult jobs = train(sc, Sync.JOBS, new TrainingListener() { }, EVERYTHING);
        assertArrayEquals(jobs.model().params(), stage.model().params());
        assertEquals(jobs.bestEpoch(), stage.bestEpoch());
        for (int e = 0; e < 3; e++) assertEquals(jobs.history().get(e).valLoss(), stage.history().get(e).valLoss(), "epoch " + (e + 1));
    }

    @Test
    void morePartitionsThanTaskSlotsFallBackToJobsOrAreRefusedForStage() {
        Trainer trainer = TestConfigs.trainer(sc, data, "layers", "64,10", "batch-size", "32", "partitions", "3");
        Sync.Choice auto = trainer.chooseSync(Sync.AUTO);
        assertEquals(Sync.JOBS, auto.mode());
        assertTrue(auto.note().contains("3 partitions") && auto.note().contains("2 task slots"), auto.note());
        BadInputException refused = assertThrows(BadInputException.class, () -> trainer.chooseSync(Sync.STAGE));
        assertTrue(refused.getMessage().startsWith("--sync stage: "), refused.getMessage());
        assertEquals(new Sync.Choice(Sync.JOBS, null), trainer.chooseSync(Sync.JOBS));
    }

    /**
     * Spark never retries a failed barrier result stage: the driver launches the stage again and
     * the step that failed is computed again, to the bits of an undisturbed run.
     */
    @Test
    void aTaskKilledMidEpochIsRunAgainFromTheStepThatFailed() {
        float[] undisturbed = train(sc, Sync.STAGE, new TrainingListener() { }, EVERYTHING).model().params();
        ConcurrentLinkedQueue<Long> running = new ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> ended = new ArrayList<>();
        List<String> stages = new ArrayList<>();
        SparkListener tasks = new SparkListener() {
            @Override
            public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart job) {
                String description = job.properties().getProperty("spark.job.description", "");
                synchronized (stages) {
                    if (description.contains("in one stage")) stages.add(description);
                }
            }

            @Override
            public void onTaskStart(SparkListenerTaskStart start) {
                running.add(start.taskInfo().taskId());
                // Epoch 2's stage: one task killed as it starts (a shared-memory epoch runs on without the driver, so a kill timed
                // by the driver's progress could come after its last step).
                boolean second;
                synchronized (stages) {
                    second = stages.size() == 2;
                }
                if (second && killed.compareAndSet(false, true)) sc.sc().killTaskAttempt(start.taskInfo().taskId(), true, "killed by the test");
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                running.remove(end.taskInfo().taskId());
                synchronized (ended) {
                    ended.add(end.reason().toString());
                }
            }
        };
        sc.sc().addSparkListener(tasks);
        try {
            TrainingListener killer = new TrainingListener() { };
            float[] disturbed = train(sc, Sync.STAGE, killer, EVERYTHING).model().params();
            assertArrayEquals(undisturbed, disturbed);
        } finally {
            sc.sc().removeSparkListener(tasks);
        }
        synchronized (ended) {
            assertTrue(ended.stream().anyMatch(r -> r.contains("killed by the test")), "a task was killed: " + ended);
        }
        synchronized (stages) {
            // Three epochs, and epoch 2's stage launched twice.
            assertEquals(4, stages.size(), stages.toString());
            assertEquals(2, stages.stream().filter(d -> d.contains("epoch 2/3")).count(), stages.toString());
        }
    }

    /** A stranger, a dead launch and bytes that are no message get only a refusal. */
    @Test
    void theExchangeRefusesMessagesWithoutTheRunsTokenOrFromAnEarlierLaunch() throws Exception {
        Trainer trainer = TestConfigs.trainer(sc, data, "layers", "64,10", "batch-size", "32", "partitions", "2");
        try (StageGradients ring = (StageGradients) trainer.stepGradients(Sync.STAGE, new TrainingListener() { })) {
            Answer stranger = new Answer();
            ring.receive(new sparkprop.collective.Message.Join(sparkprop.collective.Token.random(), 0, 0, "h:1").encode(), stranger);
            assertNull(stranger.sent);
            assertEquals("refused: not a task of this run", stranger.failure);
            Answer stale = new Answer();
            ring.receive(new sparkprop.collective.Message.Join(ring.token(), 7, 0, "h:1").encode(), stale);
            assertNull(stale.sent);
            assertEquals("the stage of launch 7 was replaced by launch 0", stale.failure);
            Answer garbage = new Answer();
            ring.receive(ByteBuffer.wrap(new byte[]{42, 1}), garbage);
            assertEquals("not a step-exchange message: type 42", garbage.failure);
        }
    }

    static final class Answer implements Transport.Reply {
        ByteBuffer sent;
        String failure;

        @Override
        public void send(ByteBuffer message) {
            sent = message;
        }

        @Override
        public void fail(String why) {
            failure = why;
        }
    }
}
