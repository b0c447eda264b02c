package sparkprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;
import sparkprop.collective.Token;

/** An executor's kept state gives the driver's scoring jobs the model they score, found by its digest, and nothing else. */
class KeptStatesTest {
    private static Replica replica(TrainConfig config, int n, long seed) {
        Replica r = Replica.empty(config, n);
        Random random = new Random(seed);
        for (int i = 0; i < n; i++) r.params()[i] = (float) random.nextGaussian();
        for (float[] part : r.optimizer().state().values()) for (int i = 0; i < part.length; i++) part[i] = (float) random.nextGaussian();
        if (r.average() != null) for (int i = 0; i < n; i++) r.average()[i] = (float) random.nextGaussian();
        return r;
    }

    @Test
    void theKeptParametersAndAverageAreFoundByTheirDigestAndNothingElseIs() {
        Token run = new Token(1, 2);
        Replica withAverage = replica(TestConfigs.with("optimizer", "adam", "ema", "0.9"), 500, 3);
        KeptStates.keep(run, 40, withAverage.encode());
        assertArrayEquals(withAverage.params(), KeptStates.model(KeptStates.digest(withAverage.params())));
        assertArrayEquals(withAverage.average(), KeptStates.model(KeptStates.digest(withAverage.average())));
        assertNotSame(withAverage.params(), KeptStates.model(KeptStates.digest(withAverage.params())), "read from the kept bytes");
        float[] other = withAverage.params().clone();
        other[499] = Math.nextUp(other[499]); // one bit off: not the kept model
        assertNull(KeptStates.model(KeptStates.digest(other)));
        float[] velocityLike = withAverage.optimizer().state().get("m");
        assertNull(KeptStates.model(KeptStates.digest(velocityLike)), "the optimizer's arrays are no model");
        assertArrayEquals(withAverage.params(), Replica.paramsIn(withAverage.encode()).read(withAverage.encode()));
        assertArrayEquals(withAverage.average(), Replica.averageIn(withAverage.encode()).read(withAverage.encode()));
        assertArrayEquals(withAverage.encode(), KeptStates.stateBefore(run, 40));
        assertNull(KeptStates.stateBefore(run, 41));

        // A later run's state replaces it; without --ema only the parameters are a model.
        Token next = new Token(3, 4);
        Replica plain = replica(TestConfigs.with("optimizer", "momentum"), 300, 5);
        KeptStates.keep(next, 7, plain.encode());
        assertNull(KeptStates.stateBefore(run, 40));
        assertNull(KeptStates.model(KeptStates.digest(withAverage.params())));
        assertArrayEquals(plain.params(), KeptStates.model(KeptStates.digest(plain.params())));
        assertNull(KeptStates.model(KeptStates.digest(new float[0])), "an empty average is no model");
    }
}
