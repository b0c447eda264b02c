package sparkprop.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The driver's side of the star, driven by scripted message sequences: a launch from join to
 * end, and what is refused (late, duplicated, reordered, from a dead launch or from outside) without
 * changing what completes a step. A reply handle is the member's name.
 */
class StepExchangeTest {
    static final Token TOKEN = MessageTest.TOKEN;
    static final float[] PARAMS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

    StepExchange<String> exchange = new StepExchange<>(TOKEN, 10, 3);

    List<Action<String>> receive(String who, Message m) {
        return exchange.receive(m, who);
    }

    /** Joins and readies the three members of the current launch; returns the actions of the three readies. */
    List<Action<String>> formRing() {
        int launch = exchange.launch();
        assertEquals(List.of(), receive("m0", new Message.Join(TOKEN, launch, 0, "a:1")));
        assertEquals(List.of(), receive("m1", new Message.Join(TOKEN, launch, 1, "b:2")));
        List<Action<String>> rings = receive("m2", new Message.Join(TOKEN, launch, 2, "c:3"));
        assertEquals(List.of(new Action.Send<>("m0", Message.Ring.alone()), new Action.Send<>("m1", Message.Ring.alone()),
                new Action.Send<>("m2", Message.Ring.alone())), rings, "a star has no neighbours");
        List<Action<String>> actions = new ArrayList<>(receive("m0", new Message.Ready(TOKEN, launch, 0)));
        actions.addAll(receive("m1", new Message.Ready(TOKEN, launch, 1)));
        actions.addAll(receive("m2", new Message.Ready(TOKEN, launch, 2)));
        return actions;
    }

    static Message.ChunkSum sum(int launch, int member, long step) {
        return new Message.ChunkSum(TOKEN, launch, member, step, new byte[]{(byte) member});
    }

    /** The parameters sent to each member, by member, checking every action is a Step of {@code step}. */
    static List<float[]> stepsSent(List<Action<String>> actions, long step) {
        List<float[]> chunks = new ArrayList<>(List.of(new float[0], new float[0], new float[0]));
        for (Action<String> a : actions) {
            Action.Send<String> send = (Action.Send<String>) a;
            Message.Step s = (Message.Step) send.message();
            assertEquals(step, s.step());
            chunks.set(send.to().charAt(1) - '0', s.chunk());
        }
        return chunks;
    }

    @Test
    void aLaunchFromJoinToEnd() {
        assertEquals(List.of(), formRing(), "no step is open yet");
        for (float[] sent : stepsSent(exchange.open(0, 0, 0, PARAMS), 0)) assertArrayEquals(PARAMS, sent, "every member gets the whole vector");
        assertEquals(List.of(), receive("m1", sum(0, 1, 0)));
        assertEquals(List.of(), receive("m0", sum(0, 0, 0)));
        List<Action<String>> done = receive("m2", sum(0, 2, 0));
        assertEquals(1, done.size());
        Action.Complete<String> complete = (Action.Complete<String>) done.get(0);
        assertEquals(0, complete.step());
        for (int m = 0; m < 3; m++) assertArrayEquals(new byte[]{(byte) m}, complete.sums()[m]);
        // The next step answers the three waiting requests; the end answers them after the next sums.
        assertEquals(3, stepsSent(exchange.open(1, 0, 1, PARAMS), 1).size());
        receive("m0", sum(0, 0, 1));
        receive("m1", sum(0, 1, 1));
        assertTrue(receive("m2", sum(0, 2, 1)).get(0) instanceof Action.Complete);
        assertEquals(List.of(new Action.Send<>("m0", new Message.End()), new Action.Send<>("m1", new Message.End()),
                new Action.Send<>("m2", new Message.End())), exchange.end());
    }

    @Test
    void lateDuplicatedAndReorderedMessagesAreRefusedAndChangeNothing() {
        // Ready before every member joined.
        receive("m0", new Message.Join(TOKEN, 0, 0, "a:1"));
        assertRefused(receive("x", new Message.Ready(TOKEN, 0, 0)), "member 0 is ready before every member joined");
        assertRefused(receive("x", new Message.Join(TOKEN, 0, 0, "a:1")), "member 0 joined twice");
        receive("m1", new Message.Join(TOKEN, 0, 1, "b:2"));
        receive("m2", new Message.Join(TOKEN, 0, 2, "c:3"));
        receive("m0", new Message.Ready(TOKEN, 0, 0));
        receive("m1", new Message.Ready(TOKEN, 0, 1));
        receive("m2", new Message.Ready(TOKEN, 0, 2));
        assertRefused(receive("x", new Message.Ready(TOKEN, 0, 2)), "member 2 was ready twice");
        stepsSent(exchange.open(5, 1, 0, PARAMS), 5);
        // Sums of another step, twice, from a member out of range, from outside the run, not for the driver.
        assertRefused(receive("x", sum(0, 0, 4)), "sums of step 4 from member 0 while step 5 is open");
        assertEquals(List.of(), receive("m0", sum(0, 0, 5)));
        assertRefused(receive("x", sum(0, 0, 5)), "sums of step 5 from member 0 while step 5 is open and its sums are in");
        assertRefused(receive("x", sum(0, 3, 5)), "no member 3 in a stage of 3");
        assertRefused(receive("x", new Message.ChunkSum(new Token(1, 2), 0, 1, 5, new byte[0])), "refused: not a task of this run");
        assertRefused(receive("x", new Message.Partial(TOKEN, 0, 5, 0, new byte[0])), "refused: Partial is not a message for the star's driver");
        assertEquals(List.of(), receive("m1", sum(0, 1, 5)));
        Action.Complete<String> complete = (Action.Complete<String>) receive("m2", sum(0, 2, 5)).get(0);
        assertArrayEquals(new byte[]{0}, complete.sums()[0], "the first sums of member 0 count, not the duplicate");
        // Sums of a step never given to the member: refused even if its number is the open one's.
        assertRefused(receive("x", sum(0, 1, 6)), "sums of step 6 from member 1 while step 5 is open");
    }

    @Test
    void aRelaunchRefusesTheDeadLaunchAndSendsTheOpenStepAgain() {
        formRing();
        stepsSent(exchange.open(8, 2, 3, PARAMS), 8);
        receive("m0", sum(0, 0, 8));
        // The stage failed before members 1 and 2 sent theirs: member 0's waiting request is refused.
        assertEquals(List.of(new Action.Refuse<>("m0", "the stage was replaced by launch 1")), exchange.relaunch());
        assertRefused(receive("x", sum(0, 1, 8)), "the stage of launch 0 was replaced by launch 1");
        assertRefused(receive("x", new Message.Join(TOKEN, 0, 1, "b:2")), "the stage of launch 0 was replaced by launch 1");
        // The new launch's members get step 8 again, and only their sums complete it.
        List<float[]> again = stepsSent(formRing(), 8);
        assertArrayEquals(PARAMS, again.get(0));
        receive("m0", sum(1, 0, 8));
        receive("m1", sum(1, 1, 8));
        Action.Complete<String> complete = (Action.Complete<String>) receive("m2", sum(1, 2, 8)).get(0);
        assertEquals(8, complete.step());
    }

    @Test
    void theNextEpochsLaunchWaitsForItsFirstStepInsteadOfRedoingTheLastOne() {
        formRing();
        stepsSent(exchange.open(0, 0, 0, PARAMS), 0);
        receive("m0", sum(0, 0, 0));
        receive("m1", sum(0, 1, 0));
        receive("m2", sum(0, 2, 0));
        assertEquals(3, exchange.end().size());
        assertEquals(List.of(), exchange.relaunch(), "every member was told to end");
        assertEquals(List.of(), formRing(), "step 0 is complete: nothing to send until step 1 opens");
        assertEquals(3, stepsSent(exchange.open(1, 1, 0, PARAMS), 1).size());
        assertThrows(IllegalStateException.class, () -> exchange.open(2, 1, 1, PARAMS), "step 1 is not complete");
    }

    /** After task slots were lost for good: a launch of two members completes a step with their two sums alone. */
    @Test
    void aRelaunchWithFewerMembersCompletesWithTheirSums() {
        formRing();
        exchange.relaunch(2);
        receive("m0", new Message.Join(TOKEN, 1, 0, ""));
        assertEquals(2, receive("m1", new Message.Join(TOKEN, 1, 1, "")).size());
        receive("m0", new Message.Ready(TOKEN, 1, 0));
        receive("m1", new Message.Ready(TOKEN, 1, 1));
        assertEquals(2, exchange.open(0, 0, 0, PARAMS).size());
        receive("m0", sum(1, 0, 0));
        Action.Complete<String> complete = (Action.Complete<String>) receive("m1", sum(1, 1, 0)).get(0);
        assertEquals(2, complete.sums().length);
    }

    @Test
    void theVectorSentIsPaddedPastTheParameters() {
        StepExchange<String> alone = new StepExchange<>(TOKEN, 4, 1);
        assertEquals(List.of(new Action.Send<>("m0", Message.Ring.alone())), alone.receive(new Message.Join(TOKEN, 0, 0, ""), "m0"));
        alone.receive(new Message.Ready(TOKEN, 0, 0), "m0");
        Message.Step step = (Message.Step) ((Action.Send<String>) alone.open(0, 0, 0, new float[]{1, 2, 3}).get(0)).message();
        assertArrayEquals(new float[]{1, 2, 3, 0}, step.chunk());
    }

    @Test
    void closingFailsEveryWaitingRequest() {
        formRing();
        assertEquals(List.of(new Action.Refuse<>("m0", "the run ended"), new Action.Refuse<>("m1", "the run ended"),
                new Action.Refuse<>("m2", "the run ended")), exchange.close());
    }

    static void assertRefused(List<Action<String>> actions, String why) {
        assertEquals(List.of(new Action.Refuse<>("x", why)), actions);
    }
}
